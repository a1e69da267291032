from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from orderloop.core.backup import restore_checks


def restored_stock_ledger_problems(**kwargs: Any) -> list[str]:
    """After a restore: every stock row must still equal the sum of its ledger rows."""
    from .selectors import ledger_mismatches  # the models are not loaded while apps.py is imported

    mismatches = ledger_mismatches()
    return [f"{len(mismatches)} stock row(s) disagree with the restored ledger"] if mismatches else []


class InventoryConfig(AppConfig):
    name = "orderloop.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        restore_checks.connect(restored_stock_ledger_problems, dispatch_uid="inventory.stock_ledger")
