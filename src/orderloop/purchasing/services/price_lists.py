"""Suppliers' price lists: one row at a time or a whole CSV import."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from orderloop.catalog.models import Variant
from orderloop.core.money import Money, MoneyError, normalize_currency
from orderloop.core.text import clean_text

from .. import domain
from ..errors import (
    PriceListInvalid,
    SupplierItemNotFound,
)
from ..models import (
    Supplier,
    SupplierItem,
)
from ._common import MAX_QUANTITY, Actor, _bounded, _currency, _price, _variant


def _set_preferred(item: SupplierItem) -> None:
    """Make this row the variant's only preferred one (the partial unique index keeps it to one)."""
    SupplierItem.objects.filter(variant_id=item.variant_id, is_preferred=True).exclude(pk=item.pk).update(
        is_preferred=False
    )
    SupplierItem.objects.filter(pk=item.pk).update(is_preferred=True)
    item.is_preferred = True


def _item_upsert(
    *,
    supplier: Supplier,
    variant: Variant,
    currency: str,
    price: Decimal,
    supplier_sku: str,
    min_order_quantity: int | None,
    pack_size: int | None,
    lead_time_days: int | None,
    preferred: bool | None,
) -> SupplierItem:
    item, _created = SupplierItem.objects.update_or_create(
        supplier=supplier,
        variant=variant,
        currency=currency,
        defaults={
            "price_amount": price,
            "supplier_sku": supplier_sku,
            "min_order_quantity": min_order_quantity,
            "pack_size": pack_size,
            "lead_time_days": lead_time_days,
        },
    )
    if preferred is True:
        _set_preferred(item)
    elif preferred is False and item.is_preferred:
        SupplierItem.objects.filter(pk=item.pk).update(is_preferred=False)
        item.is_preferred = False
    elif preferred is None and not SupplierItem.objects.filter(variant=variant, is_preferred=True).exists():
        _set_preferred(item)  # the first supplier of a variant is its preferred one
    return item


def supplier_item_set(
    *,
    supplier: Supplier,
    sku: str,
    price: object,
    currency: str | None = None,
    supplier_sku: str = "",
    min_order_quantity: int | None = None,
    pack_size: int | None = None,
    lead_time_days: int | None = None,
    preferred: bool | None = None,
    actor: Actor,
) -> SupplierItem:
    """Add or change one price-list row (supplier, variant, currency). Empty MOQ / pack size / lead time
    mean the supplier's defaults. `preferred=True` makes this the variant's preferred supplier; None
    leaves the preference (the first supplier of a variant becomes preferred)."""
    variant = _variant(sku)
    code = _currency(currency or supplier.currency)
    amount = _price(price, code)
    _bounded(min_order_quantity, field_name="min_order_quantity", low=1, high=MAX_QUANTITY)
    _bounded(pack_size, field_name="pack_size", low=1, high=MAX_QUANTITY)
    _bounded(lead_time_days, field_name="lead_time_days", low=0, high=365)
    with transaction.atomic():
        return _item_upsert(
            supplier=supplier,
            variant=variant,
            currency=code,
            price=amount,
            supplier_sku=clean_text(supplier_sku, 64),
            min_order_quantity=min_order_quantity,
            pack_size=pack_size,
            lead_time_days=lead_time_days,
            preferred=preferred,
        )


def supplier_item_prefer(*, item_id: int, actor: Actor) -> SupplierItem:
    with transaction.atomic():
        item = SupplierItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            raise SupplierItemNotFound(details={"id": item_id})
        _set_preferred(item)
        return item


def supplier_item_delete(*, item_id: int, actor: Actor) -> None:
    with transaction.atomic():
        deleted, _rows = SupplierItem.objects.filter(pk=item_id).delete()
        if not deleted:
            raise SupplierItemNotFound(details={"id": item_id})


@dataclass(frozen=True)
class PriceListReport:
    rows: int
    created: int
    updated: int


_PRICE_LIST_MESSAGES = {
    "required": gettext_noop("This column is required."),
    "bad_price": gettext_noop("Not a price (use e.g. 129.90)."),
    "bad_integer": gettext_noop("Not a whole number in range."),
    "bad_boolean": gettext_noop("Use yes or no."),
    "unknown_sku": gettext_noop("No product has this SKU."),
    "bad_currency": gettext_noop("Not an ISO 4217 currency code."),
    "duplicate": gettext_noop("The same SKU and currency appear twice in the file."),
}


def price_list_import(*, supplier: Supplier, content: str, actor: Actor) -> PriceListReport:
    """Import a supplier's price list CSV: every row is checked first and nothing is written when any
    row is wrong (422 price_list_invalid, details `row <n>.<column>` → message). Rows are upserted by
    (SKU, currency); rows marked preferred make this supplier the variant's preferred one."""
    try:
        rows = domain.parse_price_list(content, default_currency=supplier.currency)
    except domain.PriceListError as exc:
        if exc.code == "missing_columns":
            details = {column: _("This column is required.") for column in exc.columns}
        elif exc.code == "too_many_rows":
            details = {
                "file": ngettext("At most %(n)s row.", "At most %(n)s rows.", domain.MAX_PRICE_LIST_ROWS)
                % {"n": domain.MAX_PRICE_LIST_ROWS}
            }
        else:
            details = {"file": _("The file is empty.")}
        raise PriceListInvalid(details=details) from None
    skus = {row.sku for row in rows if row.sku}
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus)}
    errors: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        codes = dict(row.errors)
        if row.sku and row.sku not in variants:
            codes["sku"] = "unknown_sku"
        try:
            normalize_currency(row.currency)
        except MoneyError:
            codes["currency"] = "bad_currency"
        if (row.sku, row.currency) in seen:
            codes["sku"] = "duplicate"
        seen.add((row.sku, row.currency))
        for column, code in codes.items():
            errors[f"row {row.line}.{column}"] = _(_PRICE_LIST_MESSAGES[code])
    if errors:
        raise PriceListInvalid(details=errors)
    if not rows:
        raise PriceListInvalid(details={"file": _("The file has no rows.")})
    created = updated = 0
    with transaction.atomic():
        existing = set(SupplierItem.objects.filter(supplier=supplier).values_list("variant__sku", "currency"))
        for row in rows:
            assert row.price is not None
            currency = normalize_currency(row.currency)
            _item_upsert(
                supplier=supplier,
                variant=variants[row.sku],
                currency=currency,
                price=Money.of(row.price, currency).amount,
                supplier_sku=row.supplier_sku,
                min_order_quantity=row.min_order_quantity,
                pack_size=row.pack_size,
                lead_time_days=row.lead_time_days,
                preferred=row.preferred,
            )
            if (row.sku, currency) in existing:
                updated += 1
            else:
                created += 1
    return PriceListReport(rows=len(rows), created=created, updated=updated)
