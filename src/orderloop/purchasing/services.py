"""Every write of purchasing. Each service is one transaction; a purchase order's status changes only
through `_move` (row locked, the table in domain.py checked, an event appended).

Locks, always in this order: the purchase order row → order rows (backorders, ascending id) → stock
rows (ascending id). Stock quantities change only through inventory services (a ledger row for every
change of on_hand or reserved); `incoming` follows the open purchase orders exactly.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from orderloop.catalog.models import Variant
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money, MoneyError, normalize_currency
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.core.sequences import next_in_sequence
from orderloop.core.text import at_most_characters, clean_text
from orderloop.core.workers import lease, with_reconnect
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.services import stock_incoming_change, stock_receive
from orderloop.notifications.models import StaffNotificationKind
from orderloop.notifications.services import notify_staff
from orderloop.orders import backorders

from . import domain, selectors
from .errors import (
    DuplicateSupplier,
    InvalidPurchaseOrderTransition,
    NoSupplierPrice,
    NotOnPurchaseOrder,
    PriceListInvalid,
    PurchaseOrderEmpty,
    PurchaseOrderNotEditable,
    PurchaseOrderNotFound,
    PurchaseOrderNotReceivable,
    ReorderRuleNotFound,
    SupplierInactive,
    SupplierItemNotFound,
)
from .models import (
    PurchaseOrder,
    PurchaseOrderCounter,
    PurchaseOrderEvent,
    PurchaseOrderEventKind,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    ReorderMethod,
    ReorderRule,
    Supplier,
    SupplierItem,
    SupplierMessage,
)

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None
S = PurchaseOrderStatus

COUNTER_NAME = "purchase_orders"
MAX_LINES = 500
MAX_QUANTITY = 1_000_000
MAX_TEXT = 2000


def _staff_user(username: str | None, *, field_name: str) -> Any:
    """An active user by name (None / "" → None); unknown names are a 422 on the field."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise InvalidInput(details={field_name: _("No active staff user with this name.")})
    return user


def _currency(value: str | None, *, field_name: str = "currency") -> str:
    try:
        return normalize_currency(value or "")
    except MoneyError:
        raise InvalidInput(details={field_name: _("Not an ISO 4217 currency code.")}) from None


def _price(value: object, currency: str, *, field_name: str = "price") -> Decimal:
    try:
        money = Money.of(value, currency)
    except MoneyError:
        raise InvalidInput(details={field_name: _("Not a decimal amount.")}) from None
    if money.amount < 0 or money.amount >= Decimal("1e10"):
        raise InvalidInput(details={field_name: _("Must be zero or more (and below 10 000 000 000).")})
    return money.amount


def _bounded(value: int | None, *, field_name: str, low: int, high: int) -> None:
    if value is not None and (isinstance(value, bool) or not low <= value <= high):
        raise InvalidInput(
            details={
                field_name: _("Use a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            }
        )


# --- Suppliers ------------------------------------------------------------------------------------

_SUPPLIER_TEXT = {"name": 200, "contact_name": 200, "phone": 40, "address": 1000, "notes": MAX_TEXT}


def _supplier_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        if value is None:
            continue
        if name == "code":
            code = clean_text(value, 100).lower()
            if not code or len(code) > 40 or not all(ch.isalnum() or ch in "-_" for ch in code):
                errors["code"] = _("Use up to 40 letters, digits, hyphens or underscores.")
            values["code"] = code
        elif name in _SUPPLIER_TEXT:
            values[name] = clean_text(value, _SUPPLIER_TEXT[name])
        elif name == "email":
            email = clean_text(value, 254)
            if email:
                try:
                    validate_email(email)
                except DjangoValidationError:
                    errors["email"] = _("Not a valid email address.")
            values["email"] = email
        elif name == "language":
            language = clean_text(value, 8).lower() or settings.LANGUAGE_CODE
            if language not in {code for code, _name in settings.LANGUAGES}:
                errors["language"] = _("Not a language this shop speaks.")
            values["language"] = language
        elif name == "currency":
            try:
                values["currency"] = normalize_currency(value)
            except MoneyError:
                errors["currency"] = _("Not an ISO 4217 currency code.")
        elif name == "lead_time_days":
            if isinstance(value, bool) or not 0 <= value <= 365:
                errors[name] = _("Use a whole number from %(low)s to %(high)s.") % {"low": 0, "high": 365}
            values[name] = value
        elif name in {"min_order_quantity", "pack_size"}:
            if isinstance(value, bool) or not 1 <= value <= MAX_QUANTITY:
                errors[name] = _("Use a whole number from %(low)s to %(high)s.") % {
                    "low": 1,
                    "high": MAX_QUANTITY,
                }
            values[name] = value
        else:
            values[name] = value
    if "name" in values and not values["name"]:
        errors["name"] = _("This field is required.")
    if errors:
        raise InvalidInput(details=errors)
    return values


def supplier_create(
    *,
    code: str,
    name: str,
    currency: str,
    email: str = "",
    contact_name: str = "",
    phone: str = "",
    address: str = "",
    language: str = "en",
    lead_time_days: int = 7,
    min_order_quantity: int = 1,
    pack_size: int = 1,
    buyer_username: str | None = None,
    notes: str = "",
    is_active: bool = True,
    actor: Actor,
) -> Supplier:
    """Add a supplier. Codes are unique regardless of case (409 duplicate_supplier)."""
    values = _supplier_values(
        {
            "code": code,
            "name": name,
            "currency": currency,
            "email": email,
            "contact_name": contact_name,
            "phone": phone,
            "address": address,
            "language": language,
            "lead_time_days": lead_time_days,
            "min_order_quantity": min_order_quantity,
            "pack_size": pack_size,
            "notes": notes,
            "is_active": is_active,
        }
    )
    values["buyer"] = _staff_user(buyer_username, field_name="buyer")
    with transaction.atomic():
        if Supplier.objects.filter(code__iexact=values["code"]).exists():
            raise DuplicateSupplier(details={"code": values["code"]})
        try:
            with transaction.atomic():
                return Supplier.objects.create(**values)
        except IntegrityError as exc:
            raise DuplicateSupplier(details={"code": values["code"]}) from exc


def supplier_update(
    *,
    supplier: Supplier,
    actor: Actor,
    name: str | None = None,
    currency: str | None = None,
    email: str | None = None,
    contact_name: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    language: str | None = None,
    lead_time_days: int | None = None,
    min_order_quantity: int | None = None,
    pack_size: int | None = None,
    buyer_username: str | None = None,
    notes: str | None = None,
    is_active: bool | None = None,
) -> Supplier:
    """Change the fields given (None leaves a field as it is; buyer_username "" clears the buyer)."""
    values = _supplier_values(
        {
            "name": name,
            "currency": currency,
            "email": email,
            "contact_name": contact_name,
            "phone": phone,
            "address": address,
            "language": language,
            "lead_time_days": lead_time_days,
            "min_order_quantity": min_order_quantity,
            "pack_size": pack_size,
            "notes": notes,
            "is_active": is_active,
        }
    )
    if buyer_username is not None:
        values["buyer"] = _staff_user(buyer_username, field_name="buyer")
    with transaction.atomic():
        if values:
            Supplier.objects.filter(pk=supplier.pk).update(**values, updated_at=timezone.now())
    supplier.refresh_from_db()
    return supplier


# --- Price lists --------------------------------------------------------------------------------------


def _variant(sku: str, *, field_name: str = "sku") -> Variant:
    code = clean_text(sku, 64)
    variant = Variant.objects.select_related("product").filter(sku=code).first() if code else None
    if variant is None:
        raise InvalidInput(details={field_name: _("No product has this SKU.")})
    return variant


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


# --- Reorder rules ------------------------------------------------------------------------------------


def reorder_rule_set(
    *,
    variant: Variant,
    warehouse: Warehouse,
    method: str,
    min_quantity: int | None = None,
    max_quantity: int | None = None,
    safety_stock: int = 0,
    velocity_days: int = 28,
    review_days: int = 14,
    responsible_username: str | None = None,
    is_active: bool = True,
    actor: Actor,
) -> ReorderRule:
    """Add or replace the rule of a variant in a warehouse.

    Min/max needs both numbers (max ≥ min); the reorder-point method uses the sales window, the
    supplier's lead time and the safety stock (docs/purchasing.md)."""
    errors: dict[str, str] = {}
    if method not in ReorderMethod.values:
        errors["method"] = _("Choose min/max or reorder point.")
    for name, value, low, high in (
        ("min_quantity", min_quantity, 0, MAX_QUANTITY),
        ("max_quantity", max_quantity, 0, MAX_QUANTITY),
        ("safety_stock", safety_stock, 0, MAX_QUANTITY),
        ("velocity_days", velocity_days, 1, 365),
        ("review_days", review_days, 0, 365),
    ):
        if value is not None and (isinstance(value, bool) or not low <= value <= high):
            errors[name] = _("Use a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    if method == ReorderMethod.MIN_MAX:
        if min_quantity is None:
            errors.setdefault("min_quantity", _("This field is required."))
        if max_quantity is None:
            errors.setdefault("max_quantity", _("This field is required."))
        if min_quantity is not None and max_quantity is not None and max_quantity < min_quantity:
            errors.setdefault("max_quantity", _("Must be at least the minimum."))
    if errors:
        raise InvalidInput(details=errors)
    responsible = _staff_user(responsible_username, field_name="responsible")
    with transaction.atomic():
        rule, _created = ReorderRule.objects.update_or_create(
            variant=variant,
            warehouse=warehouse,
            defaults={
                "method": method,
                "min_quantity": min_quantity if method == ReorderMethod.MIN_MAX else None,
                "max_quantity": max_quantity if method == ReorderMethod.MIN_MAX else None,
                "safety_stock": safety_stock,
                "velocity_days": velocity_days,
                "review_days": review_days,
                "responsible": responsible,
                "is_active": is_active,
            },
        )
        return rule


def reorder_rule_delete(*, rule_id: int, actor: Actor) -> None:
    with transaction.atomic():
        deleted, _rows = ReorderRule.objects.filter(pk=rule_id).delete()
        if not deleted:
            raise ReorderRuleNotFound(details={"id": rule_id})


# --- Purchase orders: drafts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: object = None  # None: the supplier's price list


def _next_number() -> str:
    """The next purchase order number without gaps, inside the creating transaction (core/sequences.py)."""
    return f"PO-{next_in_sequence(PurchaseOrderCounter, key_field='name', key=COUNTER_NAME):05d}"


def _event(
    po: PurchaseOrder,
    *,
    kind: str,
    actor: Actor,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> PurchaseOrderEvent:
    return PurchaseOrderEvent.objects.create(
        purchase_order=po,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_id=_actor_id(actor),
        reason=clean_text(reason, 255),
        data=data or {},
    )


def _locked(po_id: int) -> PurchaseOrder:
    po = (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier", "warehouse")
        .filter(pk=po_id)
        .first()
    )
    if po is None:
        raise PurchaseOrderNotFound(details={"id": po_id})
    return po


def _line_values(
    *, supplier: Supplier, currency: str, line: LineInput, index: int, prefix: str = "lines"
) -> dict[str, Any]:
    """Checked values of one line (raises InvalidInput naming `<prefix>.<index>.<field>`)."""
    variant = _variant(line.sku, field_name=f"{prefix}.{index}.sku")
    if isinstance(line.quantity, bool) or not 1 <= line.quantity <= MAX_QUANTITY:
        raise InvalidInput(
            details={
                f"{prefix}.{index}.quantity": _("Use a whole number from %(low)s to %(high)s.")
                % {"low": 1, "high": MAX_QUANTITY}
            }
        )
    item = selectors.supplier_item_for(supplier=supplier, variant_id=variant.pk, currency=currency)
    if line.unit_price is None or line.unit_price == "":
        if item is None:
            raise NoSupplierPrice(
                details={
                    f"{prefix}.{index}.unit_price": _("No price from this supplier in %(currency)s.")
                    % {"currency": currency}
                }
            )
        price = item.price_amount
    else:
        price = _price(line.unit_price, currency, field_name=f"{prefix}.{index}.unit_price")
    return {
        "variant": variant,
        "sku": variant.sku,
        "supplier_sku": item.supplier_sku if item else "",
        "name": variant.product.name[:200],
        "quantity_ordered": line.quantity,
        "unit_price_amount": price,
    }


def _recompute_total(po: PurchaseOrder) -> None:
    total = sum((line.unit_price_amount * line.quantity_ordered for line in po.lines.all()), Decimal("0"))
    po.total_amount = Money.of(total, po.currency).amount
    PurchaseOrder.objects.filter(pk=po.pk).update(total_amount=po.total_amount, updated_at=timezone.now())


def purchase_order_create(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Sequence[LineInput],
    currency: str | None = None,
    expected_date: date | None = None,
    note: str = "",
    actor: Actor,
    reason: str = "",
) -> PurchaseOrder:
    """A draft purchase order. Lines take the supplier's price in the order's currency unless a unit
    price is given; the same SKU twice is summed into one line. All or nothing."""
    if not supplier.is_active:
        raise SupplierInactive(details={"supplier": supplier.code})
    if not warehouse.is_active:
        raise InvalidInput(details={"warehouse": _("This warehouse is not active.")})
    code = _currency(currency or supplier.currency)
    if not lines:
        raise PurchaseOrderEmpty()
    if len(lines) > MAX_LINES:
        raise InvalidInput(
            details={
                "lines": ngettext("At most %(n)s line.", "At most %(n)s lines.", MAX_LINES) % {"n": MAX_LINES}
            }
        )
    if len(note) > MAX_TEXT:
        raise InvalidInput(details={"note": at_most_characters(MAX_TEXT)})
    merged: dict[int, dict[str, Any]] = {}
    for index, line in enumerate(lines):
        values = _line_values(supplier=supplier, currency=code, line=line, index=index)
        if values["variant"].pk in merged:
            merged[values["variant"].pk]["quantity_ordered"] += values["quantity_ordered"]
        else:
            merged[values["variant"].pk] = values
    with transaction.atomic():
        now = timezone.now()
        po = PurchaseOrder.objects.create(
            number=_next_number(),
            supplier=supplier,
            warehouse=warehouse,
            currency=code,
            status=S.DRAFT,
            status_changed_at=now,
            expected_date=expected_date,
            note=clean_text(note, MAX_TEXT),
            created_by_id=_actor_id(actor),
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(purchase_order=po, position=i + 1, **values)
                for i, values in enumerate(merged.values())
            ]
        )
        _recompute_total(po)
        _event(
            po,
            kind=PurchaseOrderEventKind.CREATED,
            actor=actor,
            to_status=S.DRAFT,
            reason=reason,
            data={"lines": [{"sku": v["sku"], "quantity": v["quantity_ordered"]} for v in merged.values()]},
        )
        return po


def purchase_order_line_set(
    *, po_id: int, sku: str, quantity: int, unit_price: object = None, actor: Actor
) -> PurchaseOrder:
    """In a draft: set a line's quantity (0 removes it; a new SKU adds a line) and optionally its price."""
    if isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            details={
                "quantity": _("Use a whole number from %(low)s to %(high)s.")
                % {"low": 0, "high": MAX_QUANTITY}
            }
        )
    with transaction.atomic():
        po = _locked(po_id)
        if po.status not in domain.EDITABLE:
            raise PurchaseOrderNotEditable(details={"status": po.status})
        variant = _variant(sku)
        line = po.lines.filter(variant=variant).first()
        before = line.quantity_ordered if line else 0
        if quantity == 0:
            if line is not None:
                if po.lines.count() == 1:
                    raise PurchaseOrderEmpty(
                        _("A purchase order keeps one line at least; cancel it instead.")
                    )
                line.delete()
        else:
            values = _line_values(
                supplier=po.supplier,
                currency=po.currency,
                line=LineInput(sku=variant.sku, quantity=quantity, unit_price=unit_price),
                index=0,
            )
            if line is None:
                last = po.lines.order_by("-position").values_list("position", flat=True).first() or 0
                if po.lines.count() >= MAX_LINES:
                    raise InvalidInput(
                        details={
                            "lines": ngettext("At most %(n)s line.", "At most %(n)s lines.", MAX_LINES)
                            % {"n": MAX_LINES}
                        }
                    )
                PurchaseOrderLine.objects.create(purchase_order=po, position=last + 1, **values)
            else:
                line.quantity_ordered = quantity
                if unit_price not in (None, ""):
                    line.unit_price_amount = values["unit_price_amount"]
                line.save(update_fields=["quantity_ordered", "unit_price_amount"])
        _recompute_total(po)
        _event(
            po,
            kind=PurchaseOrderEventKind.EDITED,
            actor=actor,
            data={"sku": variant.sku, "from": before, "to": quantity},
        )
        return po


def purchase_order_update(
    *, po_id: int, actor: Actor, expected_date: date | None = None, note: str | None = None
) -> PurchaseOrder:
    """Change the expected delivery date (any open order: the supplier told us) or the note (drafts)."""
    with transaction.atomic():
        po = _locked(po_id)
        changes: dict[str, Any] = {}
        if expected_date is not None:
            if po.status not in domain.EDITABLE | domain.OPEN:
                raise PurchaseOrderNotEditable(details={"status": po.status})
            changes["expected_date"] = {
                "from": po.expected_date.isoformat() if po.expected_date else None,
                "to": expected_date.isoformat(),
            }
            po.expected_date = expected_date
        if note is not None:
            if po.status not in domain.EDITABLE:
                raise PurchaseOrderNotEditable(details={"status": po.status})
            if len(note) > MAX_TEXT:
                raise InvalidInput(details={"note": at_most_characters(MAX_TEXT)})
            po.note = clean_text(note, MAX_TEXT)
            changes["note"] = True
        if changes:
            po.save(update_fields=["expected_date", "note", "updated_at"])
            _event(po, kind=PurchaseOrderEventKind.EDITED, actor=actor, data=changes)
        return po


# --- Purchase orders: status ---------------------------------------------------------------------------


def _move(
    po: PurchaseOrder, to: str, *, actor: Actor, reason: str = "", data: dict[str, Any] | None = None
) -> PurchaseOrder:
    """Move a locked purchase order: check the table, write, append the event."""
    current = po.status
    if not domain.can_transition(current, to):
        raise InvalidPurchaseOrderTransition(
            details={"from": current, "to": to, "allowed": domain.allowed_next(current)}
        )
    po.status = to
    po.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at", "updated_at"]
    if to == S.SENT:
        po.sent_at = po.status_changed_at
        fields += ["sent_at", "expected_date"]
    po.save(update_fields=fields)
    _event(
        po,
        kind=PurchaseOrderEventKind.STATUS_CHANGE,
        actor=actor,
        from_status=current,
        to_status=to,
        reason=reason,
        data=data,
    )
    return po


def _incoming(po: PurchaseOrder, *, sign: int) -> None:
    """Announce (+1) or withdraw (−1) what the order still brings, in ascending stock-row order."""
    lines = list(po.lines.select_related("variant"))
    rows = dict(
        StockLevel.objects.filter(
            warehouse=po.warehouse, variant__in=[line.variant for line in lines]
        ).values_list("variant_id", "pk")
    )
    for line in sorted(lines, key=lambda line: (rows.get(line.variant_id, math.inf), line.pk)):
        if line.remaining:
            stock_incoming_change(variant=line.variant, warehouse=po.warehouse, delta=sign * line.remaining)


def _lead_time(po: PurchaseOrder) -> int:
    """The longest lead time among the lines (price-list rows, else the supplier's)."""
    variant_ids = list(po.lines.values_list("variant_id", flat=True))
    items = SupplierItem.objects.filter(
        supplier=po.supplier, currency=po.currency, variant_id__in=variant_ids
    )
    times = [item.lead_time_days for item in items if item.lead_time_days is not None]
    return max([po.supplier.lead_time_days, *times])


def _message_text(po: PurchaseOrder) -> tuple[str, str]:
    """Subject and body of the email, in the supplier's language."""
    shop = str(settings.ORDERLOOP.get("SHOP_NAME", "Orderloop"))
    with translation.override(po.supplier.language or settings.LANGUAGE_CODE):
        subject = _("Purchase order %(number)s from %(shop)s") % {"number": po.number, "shop": shop}
        lines = "\n".join(
            f"- {line.supplier_sku or line.sku} {line.name}: {line.quantity_ordered}"
            for line in po.lines.all()
        )
        expected = date_format(po.expected_date, "DATE_FORMAT") if po.expected_date else "—"
        body = _(
            "Hello %(contact)s,\n\nplease find attached our purchase order %(number)s.\n\n%(lines)s\n\n"
            "Deliver to: %(warehouse)s\nExpected delivery: %(expected)s\n\n%(note)s\n\nThank you,\n%(shop)s"
        ) % {
            "contact": po.supplier.contact_name or po.supplier.name,
            "number": po.number,
            "lines": lines,
            "warehouse": f"{po.warehouse.name}, {po.warehouse.address_line} {po.warehouse.postal_code} {po.warehouse.city}".strip(),
            "expected": expected,
            "note": po.note,
            "shop": shop,
        }
    return subject, body


def _queue_email(po: PurchaseOrder, *, event: PurchaseOrderEvent, actor: Actor) -> SupplierMessage | None:
    """Write the email row and enqueue its sending in this transaction (the queue is an outbox)."""
    if not po.supplier.email:
        return None
    subject, body = _message_text(po)
    message = SupplierMessage.objects.create(
        purchase_order=po,
        event_key=f"po_event:{event.pk}",
        recipient=po.supplier.email,
        language=po.supplier.language or settings.LANGUAGE_CODE,
        subject=" ".join(subject.split())[:255],
        body=body,
    )
    from .tasks import send_supplier_message

    enqueue_with_transaction(send_supplier_message, message_id=message.pk)
    _event(
        po,
        kind=PurchaseOrderEventKind.EMAIL_QUEUED,
        actor=actor,
        data={"message_id": message.pk, "recipient": message.recipient},
    )
    return message


def purchase_order_send(*, po_id: int, actor: Actor, expected_date: date | None = None) -> PurchaseOrder:
    """Send a draft: its units become `incoming`, the expected date is set (today + the longest lead
    time unless given or already set), and the PDF is e-mailed to the supplier by a task enqueued in
    this transaction. A supplier without an email address gets nothing by mail (print the PDF)."""
    with transaction.atomic():
        po = _locked(po_id)
        if po.status == S.DRAFT and not po.lines.exists():
            raise PurchaseOrderEmpty()
        if po.status == S.DRAFT and not po.supplier.is_active:
            raise SupplierInactive(details={"supplier": po.supplier.code})
        if expected_date is not None:
            po.expected_date = expected_date
        elif po.expected_date is None:
            po.expected_date = timezone.localdate() + timedelta(days=_lead_time(po))
        _move(po, S.SENT, actor=actor, data={"expected_date": po.expected_date.isoformat()})
        _incoming(po, sign=+1)
        event = po.events.order_by("-id").first()
        assert event is not None
        _queue_email(po, event=event, actor=actor)
        return po


def purchase_order_email(*, po_id: int, actor: Actor) -> SupplierMessage:
    """E-mail an order that was sent again (the supplier lost it, or the address was fixed)."""
    with transaction.atomic():
        po = _locked(po_id)
        if po.status == S.DRAFT or po.status == S.CANCELLED:
            raise InvalidPurchaseOrderTransition(
                _("Only a sent purchase order can be e-mailed."), details={"status": po.status}
            )
        if not po.supplier.email:
            raise InvalidInput(details={"email": _("The supplier has no email address.")})
        event = _event(po, kind=PurchaseOrderEventKind.EDITED, actor=actor, reason="email_again")
        message = _queue_email(po, event=event, actor=actor)
        assert message is not None
        return message


def _shortfalls(po: PurchaseOrder) -> list[dict[str, Any]]:
    return domain.shortfalls(
        [
            (line.sku, domain.LineCounts(line.quantity_ordered, line.quantity_received))
            for line in po.lines.all()
        ]
    )


def purchase_order_cancel(*, po_id: int, actor: Actor, reason: str) -> PurchaseOrder:
    """Call the order off (draft, sent or partially received): what was still to come stops being
    `incoming`; what already arrived stays in stock. A reason is required."""
    if not (reason or "").strip():
        raise InvalidInput(details={"reason": _("A reason is required to cancel a purchase order.")})
    with transaction.atomic():
        po = _locked(po_id)
        was_open = po.status in domain.OPEN
        shortfalls = _shortfalls(po) if was_open else []
        _move(po, S.CANCELLED, actor=actor, reason=reason, data={"short": shortfalls} if was_open else {})
        if was_open:
            _incoming(po, sign=-1)
        return po


def purchase_order_close(*, po_id: int, actor: Actor, reason: str = "") -> PurchaseOrder:
    """Accept a short delivery: a partially received order becomes received, the missing units are
    recorded as under-delivered (event data `short`) and stop being `incoming`."""
    with transaction.atomic():
        po = _locked(po_id)
        if po.status != S.PARTIALLY_RECEIVED:
            raise InvalidPurchaseOrderTransition(
                _("Only a partially received purchase order can be closed short."),
                details={"from": po.status, "to": S.RECEIVED},
            )
        shortfalls = _shortfalls(po)
        _move(po, S.RECEIVED, actor=actor, reason=reason or "closed_short", data={"short": shortfalls})
        _incoming(po, sign=-1)
        return po


# --- Receiving -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptInput:
    """One counted item: by purchase order line id, or by a code (SKU, barcode or the supplier's SKU)."""

    quantity: int
    line_id: int | None = None
    code: str = ""


def _resolve(lines: list[PurchaseOrderLine], item: ReceiptInput, index: int) -> PurchaseOrderLine:
    if item.line_id is not None:
        for line in lines:
            if line.pk == item.line_id:
                return line
        raise NotOnPurchaseOrder(details={f"lines.{index}.line_id": _("Not a line of this purchase order.")})
    code = clean_text(item.code, 64)
    found = selectors.line_for_code(lines, code)
    if found is not None:
        return found
    raise NotOnPurchaseOrder(
        details={f"lines.{index}.code": _("%(code)s is not on this purchase order.") % {"code": code or "—"}}
    )


def receipt_create(
    *,
    po_id: int,
    lines: Sequence[ReceiptInput],
    actor: Actor,
    note: str = "",
    client_key: str = "",
) -> Receipt:
    """Count a delivery in: on_hand grows (a RECEIPT ledger row per item), `incoming` shrinks by what
    was announced, over-deliveries are recorded per line, the order becomes partially received or
    received, and the received stock is allocated to backordered order lines (express first, then the
    oldest: orders.backorders.backorders_allocate), whose orders move on. One transaction.

    The same `client_key` twice (a double-clicked form, an API retry) returns the first receipt.
    Raises PurchaseOrderNotReceivable (409) for drafts and closed orders, NotOnPurchaseOrder (422) for
    an item the order does not have, InvalidInput (422) for quantities.
    """
    client_key = clean_text(client_key, 64)
    note = clean_text(note, 500)
    counted: dict[int, int] = defaultdict(int)
    for index, item in enumerate(lines):
        if isinstance(item.quantity, bool) or not 0 <= item.quantity <= MAX_QUANTITY:
            raise InvalidInput(
                details={
                    f"lines.{index}.quantity": _("Use a whole number from %(low)s to %(high)s.")
                    % {"low": 0, "high": MAX_QUANTITY}
                }
            )
    with transaction.atomic():
        po = _locked(po_id)
        if client_key:
            existing = Receipt.objects.filter(purchase_order=po, client_key=client_key).first()
            if existing is not None:
                return existing
        if po.status not in domain.RECEIVABLE:
            raise PurchaseOrderNotReceivable(details={"status": po.status})
        po_lines = list(po.lines.select_related("variant").order_by("position"))
        for index, item in enumerate(lines):
            line = _resolve(po_lines, item, index)
            counted[line.pk] += item.quantity
        counted = defaultdict(int, {line_id: qty for line_id, qty in counted.items() if qty > 0})
        if not counted:
            raise InvalidInput(
                details={"lines": _("Nothing was counted: scan the items or type their quantities.")}
            )
        by_id = {line.pk: line for line in po_lines}
        variant_ids = [by_id[line_id].variant_id for line_id in counted]

        backorders.backorders_lock(variant_ids=variant_ids)  # orders before stock rows
        receipt = Receipt.objects.create(
            purchase_order=po, client_key=client_key, note=note, received_by_id=_actor_id(actor)
        )
        stock_ids = dict(
            StockLevel.objects.filter(warehouse=po.warehouse, variant_id__in=variant_ids).values_list(
                "variant_id", "pk"
            )
        )
        received: list[dict[str, Any]] = []
        for line_id in sorted(counted, key=lambda pk: (stock_ids.get(by_id[pk].variant_id, math.inf), pk)):
            line = by_id[line_id]
            quantity = counted[line_id]
            effect = domain.receipt_effect(
                ordered=line.quantity_ordered, received_before=line.quantity_received, quantity=quantity
            )
            stock_receive(
                variant=line.variant,
                warehouse=po.warehouse,
                quantity=quantity,
                incoming_cleared=effect.incoming_cleared,
                actor=actor,
                reference=f"PO {po.number}",
                note=note,
            )
            PurchaseOrderLine.objects.filter(pk=line.pk).update(
                quantity_received=F("quantity_received") + quantity
            )
            line.quantity_received += quantity
            ReceiptLine.objects.create(
                receipt=receipt, line=line, quantity=quantity, over_quantity=effect.over
            )
            received.append({"sku": line.sku, "quantity": quantity, "over": effect.over})
        _event(
            po,
            kind=PurchaseOrderEventKind.RECEIPT,
            actor=actor,
            reason=note,
            data={"receipt": receipt.pk, "lines": received},
        )
        status = domain.status_after_receipt(
            [domain.LineCounts(line.quantity_ordered, line.quantity_received) for line in po_lines]
        )
        if status != po.status:
            _move(po, status, actor=actor, reason="goods_received", data={"receipt": receipt.pk})
        result = backorders.backorders_allocate(
            variant_ids=variant_ids, warehouse_id=po.warehouse_id, actor=actor, reference=po.number
        )
        if result.served:
            receipt.allocations = [item.as_json() for item in result.served]
            receipt.save(update_fields=["allocations"])
        return receipt


# --- Replenishment → draft purchase orders ----------------------------------------------------------------


def purchase_orders_from_suggestions(
    *,
    actor: Actor,
    keys: Sequence[str] | None = None,
    quantities: Mapping[str, int] | None = None,
    warehouse_id: int | None = None,
    supplier_id: int | None = None,
) -> list[PurchaseOrder]:
    """One click: the replenishment suggestions (all, or the `keys` chosen, with optional quantity
    overrides) become draft purchase orders, one per supplier, warehouse and currency. Suggestions
    without a supplier are left out. Drafts count against later suggestions, so a second click adds
    nothing. All drafts are written in one transaction."""
    quantities = dict(quantities or {})
    for key, quantity in quantities.items():
        if isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(
                details={
                    f"quantities.{key}": _("Use a whole number from %(low)s to %(high)s.")
                    % {"low": 0, "high": MAX_QUANTITY}
                }
            )
    with transaction.atomic():
        suggestions = selectors.replenishment(warehouse_id=warehouse_id, supplier_id=supplier_id)
        chosen = [s for s in suggestions if s.can_order and (keys is None or s.key in set(keys))]
        groups: dict[tuple[int, int, str], list[LineInput]] = defaultdict(list)
        suppliers: dict[int, Supplier] = {}
        warehouses: dict[int, Warehouse] = {}
        for suggestion in chosen:
            assert suggestion.item is not None
            quantity = quantities.get(suggestion.key, suggestion.advice.quantity)
            if quantity <= 0:
                continue
            supplier = suggestion.item.supplier
            suppliers[supplier.pk] = supplier
            warehouses[suggestion.warehouse.pk] = suggestion.warehouse
            groups[(supplier.pk, suggestion.warehouse.pk, suggestion.item.currency)].append(
                LineInput(sku=suggestion.variant.sku, quantity=quantity)
            )
        created = [
            purchase_order_create(
                supplier=suppliers[supplier_id_],
                warehouse=warehouses[warehouse_id_],
                currency=currency,
                lines=lines,
                actor=actor,
                reason="replenishment",
            )
            for (supplier_id_, warehouse_id_, currency), lines in sorted(groups.items())
        ]
        return created


# --- Low-stock alerts ----------------------------------------------------------------------------------

LOW_STOCK_MESSAGE = gettext_noop(
    "Low stock: %(sku)s in %(warehouse)s — position %(position)s is at or below %(trigger)s. "
    "Suggested order: %(quantity)s."
)


@dataclass
class LowStockReport:
    alerted: list[str] = field(default_factory=list)  # "SKU@warehouse"
    cleared: list[str] = field(default_factory=list)
    notified: int = 0


def _alert_recipients(rule: ReorderRule, item: SupplierItem | None, staff: list[Any]) -> list[Any]:
    if rule.responsible is not None and rule.responsible.is_active:
        return [rule.responsible]
    if item is not None and item.supplier.buyer is not None and item.supplier.buyer.is_active:
        return [item.supplier.buyer]
    return staff


def low_stock_check(*, now: datetime | None = None) -> LowStockReport:
    """Alert the responsible staff (in-app) once per episode when a reorder rule's stock position is at
    or below its trigger; the episode ends (and the rule may alert again) when the position is above.
    Recipients: the rule's responsible person, else the preferred supplier's buyer, else every active
    user who may buy. Idempotent: each rule is re-checked under its row lock, notifications are unique
    per (recipient, rule, episode)."""
    now = now or timezone.now()
    report = LowStockReport()
    staff = selectors.purchasing_staff()
    suggestions = {
        s.rule.pk: s for s in selectors.replenishment(only_needed=False, now=now) if s.rule is not None
    }
    for rule_id, suggestion in suggestions.items():
        with transaction.atomic():
            rule = (
                ReorderRule.objects.select_for_update(of=("self",))
                .select_related("responsible")
                .filter(pk=rule_id)
                .first()
            )
            if rule is None:
                continue
            label = f"{suggestion.variant.sku}@{suggestion.warehouse.code}"
            if suggestion.advice.needed and rule.alerted_at is None:
                ReorderRule.objects.filter(pk=rule.pk).update(alerted_at=now)
                rows = notify_staff(
                    recipients=_alert_recipients(rule, suggestion.item, staff),
                    kind=StaffNotificationKind.INFO,
                    message=LOW_STOCK_MESSAGE,
                    params={
                        "sku": suggestion.variant.sku,
                        "warehouse": suggestion.warehouse.code,
                        "position": suggestion.advice.position,
                        "trigger": suggestion.advice.trigger,
                        "quantity": suggestion.advice.quantity,
                    },
                    key=f"low_stock:{rule.pk}:{now.isoformat()}",
                )
                report.alerted.append(label)
                report.notified += len(rows)
            elif not suggestion.advice.needed and rule.alerted_at is not None:
                ReorderRule.objects.filter(pk=rule.pk).update(alerted_at=None)
                report.cleared.append(label)
    return report


# --- Sending e-mail (the task calls this) ----------------------------------------------------------------


def supplier_message_send(*, message_id: int) -> bool:
    """Send a queued purchase order email once (with the PDF attached). Returns True if this call sent it.

    Claimed with one conditional UPDATE, sent outside any transaction, then marked sent; a failure
    releases the claim, records the error and re-raises (the task can run again)."""
    from .pdf import render_purchase_order_pdf

    now = timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease())
    claimed = SupplierMessage.objects.filter(claimable, pk=message_id, sent_at__isnull=True).update(
        claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = SupplierMessage.objects.select_related(
        "purchase_order__supplier", "purchase_order__warehouse"
    ).get(pk=message_id)
    po = message.purchase_order
    try:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
        )
        email.attach(
            f"{po.number}.pdf", render_purchase_order_pdf(po, language=message.language), "application/pdf"
        )
        email.send(fail_silently=False)
    except Exception as exc:
        SupplierMessage.objects.filter(pk=message_id, claimed_at=now).update(
            claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning("sending purchase order %s to %s failed: %s", po.number, message.recipient, exc)
        raise
    # The mail server has it: a dropped connection must not make the task fail and send it again.
    with_reconnect(
        lambda: SupplierMessage.objects.filter(pk=message_id).update(sent_at=timezone.now(), last_error="")
    )
    return True


def supplier_message_takeover_at(*, message_id: int) -> datetime | None:
    """When an unsent message claimed by an earlier run may be taken over: a claim older than the task
    lease (core/workers.py) belongs to a worker that died while sending. None: sent or not claimed."""
    claimed_at = (
        SupplierMessage.objects.filter(pk=message_id, sent_at__isnull=True, claimed_at__isnull=False)
        .values_list("claimed_at", flat=True)
        .first()
    )
    return None if claimed_at is None else claimed_at + lease()
