"""A restore ends with each area's own check on the restored data (core's `restore_checks` signal, so
core names no area): inventory refuses a stock row that no longer equals the sum of its ledger rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import F

from orderloop.catalog.models import Variant
from orderloop.core import backup
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.services import stock_adjust

pytestmark = pytest.mark.django_db(transaction=True)


def _manifest_of_this_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        return {"counts": backup._table_counts(cursor), "files": []}


def test_a_restore_with_a_true_ledger_passes(
    warehouse: Warehouse, make_variant: Callable[..., Variant]
) -> None:
    stock_adjust(variant=make_variant(), warehouse=warehouse, delta=5, actor=None)

    report = backup.verify(_manifest_of_this_database())

    assert report.ledger_rows == 1


def test_a_restore_whose_stock_disagrees_with_its_ledger_is_refused(
    warehouse: Warehouse, make_variant: Callable[..., Variant]
) -> None:
    stock = stock_adjust(variant=make_variant(), warehouse=warehouse, delta=5, actor=None)
    StockLevel.objects.filter(pk=stock.pk).update(
        on_hand=F("on_hand") + 1
    )  # a row changed outside the ledger

    with pytest.raises(backup.BackupError, match=r"1 stock row\(s\) disagree with the restored ledger"):
        backup.verify(_manifest_of_this_database())
