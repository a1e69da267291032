"""Reads shared by the stock API, pages and commands."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel.core import Locale
from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from orderloop.catalog.models import Variant
from orderloop.core.errors import InvalidInput
from orderloop.core.money import babel_locale
from orderloop.core.pagination import MAX_LIMIT, decode_cursor, encode_cursor

from .errors import BinNotFound, VariantNotFound, WarehouseNotFound
from .models import BinLocation, StockLevel, StockMovement, Warehouse

# Babel's territory list also holds groupings and private-use codes that are not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (as Babel/CLDR knows them)."""
    codes = (str(code) for code in Locale.parse("en").territories)
    return frozenset(
        code for code in codes if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, name in the current language) pairs, sorted by name, for a country select."""
    names = babel_locale(language).territories
    return sorted(((code, names.get(code, code)) for code in country_codes()), key=lambda pair: pair[1])


def _clean_code(code: str | None) -> str:
    return (code or "").replace("\x00", "").strip()


def variant_by_code(code: str | None) -> Variant:
    """The variant whose SKU or barcode is `code` (scanners type barcodes, people type SKUs)."""
    code = _clean_code(code)
    if code:
        variant = (
            Variant.objects.select_related("product").filter(sku=code).first()
            or Variant.objects.select_related("product").filter(barcode=code).first()
            or Variant.objects.select_related("product").filter(sku__iexact=code).first()
        )
        if variant is not None:
            return variant
    raise VariantNotFound(details={"sku": code})


def warehouse_by_code(code: str | None) -> Warehouse:
    code = _clean_code(code)
    warehouse = Warehouse.objects.filter(code=code).first() if code else None
    if warehouse is None:
        raise WarehouseNotFound(details={"warehouse": code})
    return warehouse


def bin_by_code(*, warehouse: Warehouse, code: str | None) -> BinLocation:
    code = _clean_code(code)
    found = BinLocation.objects.filter(warehouse=warehouse, code__iexact=code).first() if code else None
    if found is None:
        raise BinNotFound(details={"warehouse": warehouse.code, "bin": code})
    return found


def warehouses(*, active_only: bool = False) -> QuerySet[Warehouse]:
    queryset = Warehouse.objects.all().order_by("priority", "code")
    return queryset.filter(is_active=True) if active_only else queryset


def warehouse_bins(*, warehouse: Warehouse) -> QuerySet[BinLocation]:
    return (
        BinLocation.objects.filter(warehouse=warehouse)
        .annotate(stock_rows=Count("stock_levels"))
        .order_by("route_order", "code")
    )


@dataclass(frozen=True)
class WarehouseSummary:
    stock_rows: int
    on_hand: int
    reserved: int
    available: int
    incoming: int
    low_rows: int


def warehouse_summary(*, warehouse: Warehouse) -> WarehouseSummary:
    rows = StockLevel.objects.filter(warehouse=warehouse)
    totals = rows.aggregate(
        count=Count("id"),
        on_hand=Coalesce(Sum("on_hand"), 0),
        reserved=Coalesce(Sum("reserved"), 0),
        incoming=Coalesce(Sum("incoming"), 0),
    )
    return WarehouseSummary(
        stock_rows=totals["count"],
        on_hand=totals["on_hand"],
        reserved=totals["reserved"],
        available=totals["on_hand"] - totals["reserved"],
        incoming=totals["incoming"],
        low_rows=stock_levels(warehouse_code=warehouse.code, low_only=True).count(),
    )


DEFAULT_LOW_STOCK_THRESHOLD = 5  # as settings.py: a deployment that replaces ORDERLOOP keeps a default


def low_stock_threshold() -> int:
    return int(settings.ORDERLOOP.get("LOW_STOCK_THRESHOLD", DEFAULT_LOW_STOCK_THRESHOLD))


def stock_levels(
    *,
    sku: str | None = None,
    variant_id: int | None = None,
    warehouse_code: str | None = None,
    search: str | None = None,
    low_only: bool = False,
) -> QuerySet[StockLevel]:
    queryset = (
        StockLevel.objects.select_related("variant__product", "warehouse", "bin")
        .annotate(
            available_units=F("on_hand") - F("reserved"),
            threshold=Coalesce(
                F("low_stock_threshold"), Value(low_stock_threshold()), output_field=IntegerField()
            ),
        )
        .order_by("variant__product__name", "variant__sku", "warehouse__priority", "warehouse__code")
    )
    if sku:
        queryset = queryset.filter(variant__sku=sku)
    if variant_id is not None:
        queryset = queryset.filter(variant_id=variant_id)
    if warehouse_code:
        queryset = queryset.filter(warehouse__code=warehouse_code)
    search = _clean_code(search)
    if search:
        queryset = queryset.filter(
            Q(variant__sku__icontains=search)
            | Q(variant__barcode=search)
            | Q(variant__product__name__icontains=search)
        )
    if low_only:
        queryset = queryset.filter(available_units__lte=F("threshold"))
    return queryset


def is_low(stock: StockLevel) -> bool:
    threshold = stock.low_stock_threshold if stock.low_stock_threshold is not None else low_stock_threshold()
    return stock.available <= threshold


@dataclass(frozen=True)
class LedgerMismatch:
    stock_id: int
    sku: str
    warehouse: str
    on_hand: int
    ledger_on_hand: int
    reserved: int
    ledger_reserved: int


def ledger_mismatches() -> list[LedgerMismatch]:
    """Stock rows whose quantities differ from the sum of their ledger rows (should always be empty)."""
    sums = StockMovement.objects.filter(stock=OuterRef("pk")).values("stock")
    on_hand_sum = sums.annotate(total=Sum("on_hand_delta")).values("total")
    reserved_sum = sums.annotate(total=Sum("reserved_delta")).values("total")
    rows = (
        StockLevel.objects.annotate(
            ledger_on_hand=Coalesce(Subquery(on_hand_sum, output_field=IntegerField()), Value(0)),
            ledger_reserved=Coalesce(Subquery(reserved_sum, output_field=IntegerField()), Value(0)),
        )
        .filter(~Q(ledger_on_hand=F("on_hand")) | ~Q(ledger_reserved=F("reserved")))
        .select_related("variant", "warehouse")
    )
    return [
        LedgerMismatch(
            stock_id=row.pk,
            sku=row.variant.sku,
            warehouse=row.warehouse.code,
            on_hand=row.on_hand,
            ledger_on_hand=row.ledger_on_hand,
            reserved=row.reserved,
            ledger_reserved=row.ledger_reserved,
        )
        for row in rows
    ]


def stock_row(*, variant: Variant, warehouse: Warehouse) -> StockLevel | None:
    return stock_levels().filter(variant=variant, warehouse=warehouse).first()


def stock_movements(
    *, stock_id: int | None = None, sku: str | None = None, warehouse_code: str | None = None
) -> QuerySet[StockMovement]:
    """The ledger, newest first."""
    queryset = StockMovement.objects.select_related(
        "stock__variant__product", "stock__warehouse", "actor"
    ).order_by("-id")
    if stock_id is not None:
        queryset = queryset.filter(stock_id=stock_id)
    if sku:
        queryset = queryset.filter(stock__variant__sku=sku)
    if warehouse_code:
        queryset = queryset.filter(stock__warehouse__code=warehouse_code)
    return queryset


@dataclass(frozen=True)
class NewestFirstPage:
    items: list[Any]
    next_cursor: str | None


def newest_first_page(queryset: QuerySet[Any], *, cursor: str | None, limit: int) -> NewestFirstPage:
    """Keyset pagination by descending id (core's `keyset_page` walks ascending): the cursor holds the
    last id seen, the next page starts below it, so rows added meanwhile never shift a page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(details={"limit": f"must be between 1 and {MAX_LIMIT}"})
    queryset = queryset.order_by("-id")
    if cursor:
        queryset = queryset.filter(id__lt=decode_cursor(cursor))
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return NewestFirstPage(items=rows, next_cursor=encode_cursor(rows[-1].id) if has_more and rows else None)
