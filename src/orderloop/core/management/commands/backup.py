"""`manage.py backup --output FILE`: the database and every uploaded file in one archive (core/backup.py).
Safe while the shop runs: PostgreSQL is dumped from one snapshot, SQLite copied with its online backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orderloop.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one archive (restore with `manage.py restore`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", required=True, help="The archive to write, e.g. orderloop-2026-12-07.tar"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(Path(options["output"]))
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = manifest["counts"]
        self.stdout.write(
            f"Backed up the {manifest['engine']} database ({counts['orders.Order']} orders, "
            f"{counts['inventory.StockMovement']} ledger rows) and {len(manifest['files'])} file(s) "
            f"to {options['output']}"
        )
