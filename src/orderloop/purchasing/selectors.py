"""Reads of purchasing shared by the pages, the API, the order card and the services. Never write."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.catalog.models import Variant
from orderloop.inventory.models import MovementReason, StockLevel, StockMovement, Warehouse
from orderloop.orders import backorders

from . import domain
from .domain import ReorderAdvice, ReorderInputs
from .errors import PurchaseOrderNotFound, SupplierNotFound
from .models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    ReorderMethod,
    ReorderRule,
    Supplier,
    SupplierItem,
)

OPEN_STATUSES = sorted(domain.OPEN)


def _clean(value: str | None) -> str:
    return (value or "").replace("\x00", "").strip()


# --- Suppliers and price lists ----------------------------------------------------------------------


def supplier_by_code(code: str | None) -> Supplier:
    code = _clean(code)
    supplier = Supplier.objects.select_related("buyer").filter(code=code).first() if code else None
    if supplier is None:
        raise SupplierNotFound(details={"supplier": code})
    return supplier


def suppliers(*, search: str | None = None, active_only: bool = False) -> QuerySet[Supplier]:
    rows = Supplier.objects.select_related("buyer").order_by("name", "id")
    if active_only:
        rows = rows.filter(is_active=True)
    search = _clean(search)
    if search:
        rows = rows.filter(Q(code__icontains=search) | Q(name__icontains=search) | Q(email__icontains=search))
    return rows


def supplier_items(
    *, supplier: Supplier | None = None, variant_id: int | None = None, search: str | None = None
) -> QuerySet[SupplierItem]:
    rows = SupplierItem.objects.select_related("supplier", "variant__product").order_by(
        "variant__sku", "supplier__name", "currency"
    )
    if supplier is not None:
        rows = rows.filter(supplier=supplier)
    if variant_id is not None:
        rows = rows.filter(variant_id=variant_id)
    search = _clean(search)
    if search:
        rows = rows.filter(
            Q(variant__sku__icontains=search)
            | Q(supplier_sku__icontains=search)
            | Q(variant__product__name__icontains=search)
        )
    return rows


def _choice_key(item: SupplierItem) -> tuple[int, int, Any, int]:
    # Preferred first; then the shortest lead time, the lowest price, the oldest row.
    return (0 if item.is_preferred else 1, item.effective_lead_time, item.price_amount, item.pk)


def preferred_items(variant_ids: Iterable[int]) -> dict[int, SupplierItem]:
    """The price-list row to buy each variant from: the preferred row when its supplier is active,
    else the active supplier's row with the shortest lead time (then the lowest price)."""
    best: dict[int, SupplierItem] = {}
    rows = SupplierItem.objects.select_related("supplier").filter(
        variant_id__in=set(variant_ids), supplier__is_active=True
    )
    for item in rows:
        current = best.get(item.variant_id)
        if current is None or _choice_key(item) < _choice_key(current):
            best[item.variant_id] = item
    return best


def supplier_item_for(*, supplier: Supplier, variant_id: int, currency: str) -> SupplierItem | None:
    return SupplierItem.objects.filter(supplier=supplier, variant_id=variant_id, currency=currency).first()


# --- Reorder rules ----------------------------------------------------------------------------------


def reorder_rules(*, warehouse_code: str | None = None, search: str | None = None) -> QuerySet[ReorderRule]:
    rows = ReorderRule.objects.select_related("variant__product", "warehouse", "responsible").order_by(
        "variant__sku", "warehouse__priority", "warehouse__code"
    )
    if warehouse_code:
        rows = rows.filter(warehouse__code=warehouse_code)
    search = _clean(search)
    if search:
        rows = rows.filter(Q(variant__sku__icontains=search) | Q(variant__product__name__icontains=search))
    return rows


# --- Purchase orders --------------------------------------------------------------------------------


def purchase_order_by_number(number: str | None) -> PurchaseOrder:
    number = _clean(number)
    po = (
        PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by")
        .filter(number=number)
        .first()
        if number
        else None
    )
    if po is None:
        raise PurchaseOrderNotFound(details={"number": number})
    return po


def purchase_orders(
    *, status: str | None = None, supplier_code: str | None = None, search: str | None = None
) -> QuerySet[PurchaseOrder]:
    rows = PurchaseOrder.objects.select_related("supplier", "warehouse").order_by("-id")
    if status:
        rows = rows.filter(status=status)
    if supplier_code:
        rows = rows.filter(supplier__code=supplier_code)
    search = _clean(search)
    if search:
        rows = rows.filter(
            Q(number__icontains=search) | Q(supplier__name__icontains=search) | Q(lines__sku=search)
        ).distinct()
    return rows


def purchase_order_lines(po: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(po.lines.select_related("variant__product").order_by("position"))


def line_for_code(lines: Iterable[PurchaseOrderLine], code: str | None) -> PurchaseOrderLine | None:
    """The line a scanned or typed code means: our SKU, the barcode, the supplier's SKU, then the SKU
    in any letter case (lines need `variant` loaded)."""
    code = _clean(code)
    if not code:
        return None
    lines = list(lines)
    for matches in (
        lambda line: line.sku == code,
        lambda line: bool(line.variant.barcode) and line.variant.barcode == code,
        lambda line: bool(line.supplier_sku) and line.supplier_sku == code,
        lambda line: line.sku.lower() == code.lower(),
    ):
        for line in lines:
            if matches(line):
                return line
    return None


# --- Stock figures ----------------------------------------------------------------------------------


def sold_units(*, stock_ids: Iterable[int], days: int, now: datetime | None = None) -> dict[int, int]:
    """Net units reserved from each stock row in the last `days` days: reservations minus releases
    (cancellations, edits) in the stock ledger. This is the sales velocity's numerator."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        StockMovement.objects.filter(
            stock_id__in=set(stock_ids),
            created_at__gte=since,
            reason__in=[MovementReason.RESERVATION, MovementReason.RELEASE],
        )
        .values("stock_id")
        .annotate(net=Sum("reserved_delta"))
        .values_list("stock_id", "net")
    )
    return {stock_id: int(net or 0) for stock_id, net in rows}


def open_po_remaining() -> dict[tuple[int, int], int]:
    """(variant id, warehouse id) → units still to come on sent and partially received orders."""
    remaining: dict[tuple[int, int], int] = defaultdict(int)
    rows = PurchaseOrderLine.objects.filter(purchase_order__status__in=OPEN_STATUSES).values_list(
        "variant_id", "purchase_order__warehouse_id", "quantity_ordered", "quantity_received"
    )
    for variant_id, warehouse_id, ordered, received in rows:
        remaining[(variant_id, warehouse_id)] += max(ordered - received, 0)
    return dict(remaining)


def draft_quantities() -> dict[tuple[int, int], int]:
    """(variant id, warehouse id) → units on draft purchase orders."""
    rows = (
        PurchaseOrderLine.objects.filter(purchase_order__status=PurchaseOrderStatus.DRAFT)
        .values("variant_id", "purchase_order__warehouse_id")
        .annotate(total=Sum("quantity_ordered"))
        .values_list("variant_id", "purchase_order__warehouse_id", "total")
    )
    return {(variant_id, warehouse_id): int(total or 0) for variant_id, warehouse_id, total in rows}


@dataclass(frozen=True)
class IncomingMismatch:
    sku: str
    warehouse: str
    incoming: int
    open_orders: int


def incoming_mismatches() -> list[IncomingMismatch]:
    """Stock rows whose `incoming` differs from what open purchase orders still bring (always empty)."""
    expected = open_po_remaining()
    found: list[IncomingMismatch] = []
    checked: set[tuple[int, int]] = set()
    for row in StockLevel.objects.filter(incoming__gt=0).select_related("variant", "warehouse"):
        key = (row.variant_id, row.warehouse_id)
        checked.add(key)
        if row.incoming != expected.get(key, 0):
            found.append(
                IncomingMismatch(row.variant.sku, row.warehouse.code, row.incoming, expected.get(key, 0))
            )
    for (variant_id, warehouse_id), units in expected.items():
        if units and (variant_id, warehouse_id) not in checked:
            variant = Variant.objects.get(pk=variant_id)
            warehouse = Warehouse.objects.get(pk=warehouse_id)
            found.append(IncomingMismatch(variant.sku, warehouse.code, 0, units))
    return found


def receiving_warehouse_for_backorders(variant_ids: Iterable[int]) -> dict[int, Warehouse]:
    """Which warehouse a variant's backorders are bought for: the first active warehouse (by priority)
    with an active reorder rule for it, else the first active warehouse."""
    default = Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    chosen: dict[int, Warehouse] = {}
    rules = (
        ReorderRule.objects.filter(variant_id__in=set(variant_ids), is_active=True, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )
    for rule in rules:
        chosen.setdefault(rule.variant_id, rule.warehouse)
    if default is not None:
        for variant_id in variant_ids:
            chosen.setdefault(variant_id, default)
    return chosen


# --- Replenishment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One (variant, warehouse) of the replenishment view: the inputs, the advice, whom to buy from."""

    variant: Variant
    warehouse: Warehouse
    rule: ReorderRule | None
    item: SupplierItem | None
    inputs: ReorderInputs
    advice: ReorderAdvice

    @property
    def key(self) -> str:
        return f"{self.variant.pk}-{self.warehouse.pk}"

    @property
    def supplier(self) -> Supplier | None:
        return self.item.supplier if self.item is not None else None

    @property
    def can_order(self) -> bool:
        return self.advice.needed and self.advice.quantity > 0 and self.item is not None

    @property
    def reasons(self) -> list[str]:
        """Why, in words: the figures that led to the advice."""
        inputs, advice = self.inputs, self.advice
        words = [
            _(
                "position %(position)s = available %(available)s + incoming %(incoming)s + on draft %(draft)s − backordered %(backordered)s"
            )
            % {
                "position": advice.position,
                "available": inputs.available,
                "incoming": inputs.incoming,
                "draft": inputs.on_draft,
                "backordered": inputs.backordered,
            }
        ]
        if inputs.method == ReorderMethod.REORDER_POINT:
            words.append(
                ngettext(
                    "reorder point %(rop)s = ⌈%(velocity)s/day × %(lead)s day⌉ + safety stock %(safety)s",
                    "reorder point %(rop)s = ⌈%(velocity)s/day × %(lead)s days⌉ + safety stock %(safety)s",
                    inputs.lead_time_days,
                )
                % {
                    "rop": advice.trigger,
                    "velocity": advice.velocity,
                    "lead": inputs.lead_time_days,
                    "safety": inputs.safety_stock,
                }
            )
            words.append(
                ngettext(
                    "sold %(sold)s in %(days)s day", "sold %(sold)s in %(days)s days", inputs.velocity_days
                )
                % {"sold": inputs.sold_units, "days": inputs.velocity_days}
            )
            words.append(
                ngettext(
                    "order up to %(target)s (+%(review)s day of sales)",
                    "order up to %(target)s (+%(review)s days of sales)",
                    inputs.review_days,
                )
                % {"target": advice.target, "review": inputs.review_days}
            )
        elif inputs.method == ReorderMethod.MIN_MAX:
            words.append(
                _("min %(min)s / max %(max)s") % {"min": inputs.min_quantity, "max": inputs.max_quantity}
            )
        else:
            words.append(_("backordered units with no stock and no purchase order"))
        if advice.needed:
            words.append(
                _("need %(raw)s → order %(quantity)s (MOQ %(moq)s, pack %(pack)s)")
                % {
                    "raw": advice.raw_quantity,
                    "quantity": advice.quantity,
                    "moq": inputs.moq,
                    "pack": inputs.pack_size,
                }
            )
        if self.item is None:
            words.append(_("no supplier sells this item: add it to a price list"))
        return words


def replenishment(
    *,
    warehouse_id: int | None = None,
    supplier_id: int | None = None,
    only_needed: bool = True,
    now: datetime | None = None,
) -> list[Suggestion]:
    """What to order, from whom, how much and why: every active reorder rule, plus the variants with
    backorders and no rule (docs/purchasing.md). Needed first, then by supplier and SKU."""
    rules = list(
        ReorderRule.objects.filter(is_active=True, warehouse__is_active=True).select_related(
            "variant__product", "warehouse"
        )
    )
    backordered: dict[int, int] = defaultdict(int)
    for variant_id, units in backorders.backordered_lines().values_list("variant_id", "quantity_backordered"):
        backordered[variant_id] += units
    attributed = receiving_warehouse_for_backorders(list(backordered))

    keys: dict[tuple[int, int], ReorderRule | None] = {(r.variant_id, r.warehouse_id): r for r in rules}
    for variant_id, warehouse in attributed.items():
        keys.setdefault((variant_id, warehouse.pk), None)
    if warehouse_id is not None:
        keys = {key: rule for key, rule in keys.items() if key[1] == warehouse_id}
    if not keys:
        return []

    variant_ids = {variant_id for variant_id, _w in keys}
    variants = {v.pk: v for v in Variant.objects.select_related("product").filter(pk__in=variant_ids)}
    warehouses = {w.pk: w for w in Warehouse.objects.filter(pk__in={w for _v, w in keys})}
    stock = {
        (row.variant_id, row.warehouse_id): row
        for row in StockLevel.objects.filter(variant_id__in=variant_ids, warehouse_id__in=warehouses)
    }
    drafts = draft_quantities()
    items = preferred_items(variant_ids)

    windows: dict[int, list[int]] = defaultdict(list)
    for key, rule in keys.items():
        if rule is not None and rule.method == ReorderMethod.REORDER_POINT and key in stock:
            windows[rule.velocity_days].append(stock[key].pk)
    sold: dict[int, int] = {}
    for days, stock_ids in windows.items():
        sold.update(sold_units(stock_ids=stock_ids, days=days, now=now))

    suggestions: list[Suggestion] = []
    for (variant_id, wh_id), rule in keys.items():
        item = items.get(variant_id)
        if supplier_id is not None and (item is None or item.supplier_id != supplier_id):
            continue
        row = stock.get((variant_id, wh_id))
        counted_backorders = (
            backordered.get(variant_id, 0)
            if attributed.get(variant_id) is not None and attributed[variant_id].pk == wh_id
            else 0
        )
        inputs = ReorderInputs(
            method=rule.method if rule is not None else domain.BACKORDERS_ONLY,
            available=(row.on_hand - row.reserved) if row else 0,
            incoming=row.incoming if row else 0,
            on_draft=drafts.get((variant_id, wh_id), 0),
            backordered=counted_backorders,
            min_quantity=rule.min_quantity if rule else None,
            max_quantity=rule.max_quantity if rule else None,
            sold_units=sold.get(row.pk, 0) if row is not None and rule is not None else 0,
            velocity_days=rule.velocity_days if rule else 28,
            lead_time_days=item.effective_lead_time if item else 0,
            safety_stock=rule.safety_stock if rule else 0,
            review_days=rule.review_days if rule else 0,
            moq=item.effective_moq if item else 1,
            pack_size=item.effective_pack_size if item else 1,
        )
        advice = domain.advise(inputs)
        if only_needed and not advice.needed:
            continue
        suggestions.append(
            Suggestion(
                variant=variants[variant_id],
                warehouse=warehouses[wh_id],
                rule=rule,
                item=item,
                inputs=inputs,
                advice=advice,
            )
        )
    suggestions.sort(
        key=lambda s: (
            not s.advice.needed,
            s.supplier.name if s.supplier else "\uffff",
            s.variant.sku,
            s.warehouse.priority,
        )
    )
    return suggestions


# --- Expected arrivals for backordered lines --------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    po_number: str
    expected_date: date | None
    # False when open purchase orders cover only part of the line's backorder.
    complete: bool


def expected_arrivals(*, variant_ids: Iterable[int]) -> dict[int, Arrival]:
    """Backordered line id → the purchase order expected to serve it (and when).

    Open purchase orders of a variant are taken in order of expected date and backordered lines in
    serving order (express first, then the oldest), so the answer is what receiving will actually do.
    """
    variant_ids = set(variant_ids)
    if not variant_ids:
        return {}
    supply: dict[int, list[tuple[date | None, str, int]]] = defaultdict(list)
    lines = (
        PurchaseOrderLine.objects.filter(variant_id__in=variant_ids, purchase_order__status__in=OPEN_STATUSES)
        .select_related("purchase_order")
        .order_by("purchase_order__expected_date", "purchase_order_id")
    )
    for line in lines:
        if line.remaining > 0:
            supply[line.variant_id].append(
                (line.purchase_order.expected_date, line.purchase_order.number, line.remaining)
            )
    for batches in supply.values():
        batches.sort(key=lambda batch: (batch[0] is None, batch[0] or date.max))
    arrivals: dict[int, Arrival] = {}
    position: dict[int, tuple[int, int]] = {}  # variant → (batch index, units left in it)
    for waiting in backorders.waiting_queue(variant_ids=variant_ids):
        batches = supply.get(waiting.variant_id, [])
        index, left = position.get(waiting.variant_id, (0, batches[0][2] if batches else 0))
        need = waiting.quantity
        last: tuple[date | None, str, int] | None = None
        while need > 0 and index < len(batches):
            take = min(need, left)
            need -= take
            left -= take
            last = batches[index]
            if left == 0:
                index += 1
                left = batches[index][2] if index < len(batches) else 0
        position[waiting.variant_id] = (index, left)
        if last is not None:
            arrivals[waiting.line_id] = Arrival(po_number=last[1], expected_date=last[0], complete=need == 0)
    return arrivals


@dataclass(frozen=True)
class PurchaseNeed:
    """A backordered order line: what purchasing must bring in (covered by a purchase order or not)."""

    line: Any  # orders.OrderLine, with its order
    quantity: int
    arrival: Arrival | None

    @property
    def covered(self) -> bool:
        return self.arrival is not None and self.arrival.complete


def purchase_needs(*, limit: int = 500) -> list[PurchaseNeed]:
    """Every backordered line of an open order, in serving order (express first, then the oldest), with
    the purchase order expected to serve it. A backorder needs no separate row: the line *is* the need,
    so it appears (and disappears) with the order's own changes."""
    from orderloop.orders.models import OrderLine

    queue = backorders.waiting_queue()[:limit]
    lines = OrderLine.objects.select_related("order").in_bulk([item.line_id for item in queue])
    arrivals = expected_arrivals(variant_ids={item.variant_id for item in queue})
    return [
        PurchaseNeed(line=lines[item.line_id], quantity=item.quantity, arrival=arrivals.get(item.line_id))
        for item in queue
        if item.line_id in lines
    ]


# --- Purchasing staff -------------------------------------------------------------------------------

PURCHASING_PERMISSION = "purchasing.add_purchaseorder"


def purchasing_staff() -> list[Any]:
    """Active users who may buy (the Manager role, admins)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    permission = Permission.objects.filter(content_type__app_label="purchasing", codename="add_purchaseorder")
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)
        )
        .distinct()
        .order_by("username")
    )
