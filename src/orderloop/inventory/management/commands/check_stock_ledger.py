from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Prove the stock ledger sums to every stock row; exit non-zero listing each row that does not."

    def handle(self, *args: Any, **options: Any) -> None:
        mismatches = ledger_mismatches()
        for row in mismatches:
            self.stderr.write(
                f"MISMATCH {row.sku} @ {row.warehouse}: on_hand {row.on_hand} vs ledger {row.ledger_on_hand}, "
                f"reserved {row.reserved} vs ledger {row.ledger_reserved}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} stock row(s) disagree with the ledger")
        self.stdout.write(
            f"OK: {StockLevel.objects.count()} stock rows match {StockMovement.objects.count()} ledger rows"
        )
