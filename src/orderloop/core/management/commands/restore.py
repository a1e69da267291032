"""`manage.py restore FILE`: put a backup (`manage.py backup`) into this installation's empty database and
file storages, then check rows, files and the stock ledger against the backup (core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orderloop.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup into an empty database and empty file storages, then verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The archive written by `manage.py backup`.")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["archive"])
        if not source.is_file():
            raise CommandError(f"{source} does not exist")
        try:
            report = restore(source)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored and verified: {report.counts['orders.Order']} orders, {report.ledger_rows} ledger rows "
            f"(the stock ledger is true), {report.files} file(s)."
        )
