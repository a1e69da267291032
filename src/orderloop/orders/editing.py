"""Editing an order before it goes to the warehouse, and moving a line's reservation between warehouses.

Every service here is one transaction that locks the order row first, then the stock rows it touches in
ascending id order (the order `order_cancel` uses too), and reserves or releases only the *difference*
with the conditional updates of inventory/services.py, each with its ledger row. Anything refused
(InsufficientStock, a 422 naming the field, an order already in the warehouse) rolls back everything.
Each successful edit appends one `edit` event: who (actor), why (reason) and what (old → new).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orderloop.catalog.models import Variant
from orderloop.core.errors import Conflict, InvalidInput, NotFound
from orderloop.core.money import Money
from orderloop.core.text import clean_text
from orderloop.inventory.errors import InsufficientStock
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.services import stock_release, stock_reserve
from orderloop.promotions.selectors import redemption_discount_for
from orderloop.promotions.services import redemption_discount

from . import domain, services
from .allocation import LineDemand, StockOption, plan_allocation
from .domain import AddressData, LineData, PreferredDelivery
from .errors import OrderNotFound
from .models import DeliveryMethod, EventKind, LineAllocation, Order, OrderLine, OrderStatus
from .services import Actor

S = OrderStatus

# Before picking starts, the warehouse has not touched the order: lines, quantities, the address and the
# delivery method may still change. (A pure rule; it moves to domain.py with the next change there.)
EDITABLE = frozenset({S.NEW, S.CONFIRMED, S.AWAITING_PAYMENT, S.PARTIALLY_PAID, S.PAID, S.AWAITING_STOCK})

ADDRESS_FIELDS = {
    "country": "ship_country",
    "region": "ship_region",
    "city": "ship_city",
    "postal_code": "ship_postal_code",
    "line1": "ship_line1",
    "line2": "ship_line2",
}
ADDRESS_LENGTHS = {"country": 2, "region": 100, "city": 100, "postal_code": 20, "line1": 200, "line2": 200}


class OrderNotEditable(Conflict):
    code = "order_not_editable"
    default_message = gettext_lazy("The order is already in the warehouse or closed; it cannot be edited.")


class OrderLineNotFound(NotFound):
    code = "order_line_not_found"
    default_message = gettext_lazy("The order has no such line.")


def is_editable(status: str) -> bool:
    return status in EDITABLE


def _editable(order: Order) -> None:
    if not is_editable(order.status):
        raise OrderNotEditable(
            details={"status": order.status, "editable_statuses": [s.value for s in S if s in EDITABLE]}
        )


def order_line_id(*, order_id: int, position: int) -> int:
    """The id of the order's line at this position (the number the card shows); OrderLineNotFound."""
    line_id = OrderLine.objects.filter(order_id=order_id, position=position).values_list("id", flat=True)
    found = line_id.first()
    if found is None:
        raise OrderLineNotFound(details={"position": position})
    return found


# --- Planning the stock changes -------------------------------------------------------------------------


@dataclass
class _StockOps:
    """Releases and reservations of one edit: (stock_id, line key) → units."""

    releases: dict[tuple[int, Any], int] = field(default_factory=lambda: defaultdict(int))
    reserves: dict[tuple[int, Any], int] = field(default_factory=lambda: defaultdict(int))

    def released_on(self, stock_id: int) -> int:
        return sum(qty for (sid, _key), qty in self.releases.items() if sid == stock_id)


def _stock_rows(*, variant_ids: set[int], stock_ids: set[int], lock: bool) -> list[StockLevel]:
    """Every stock row the edit may touch, in ascending id order (locked in one statement when `lock`):
    the active warehouses' rows of the variants that need more units, and the rows units are released
    from."""
    if not variant_ids and not stock_ids:
        return []
    rows = StockLevel.objects.all()
    if lock:
        rows = rows.select_for_update(no_key=True, of=("self",))
    return list(
        rows.select_related("warehouse")
        .filter(Q(variant_id__in=variant_ids, warehouse__is_active=True) | Q(pk__in=stock_ids))
        .order_by("id")
    )


def _lock_stock(*, variant_ids: set[int], stock_ids: set[int]) -> list[StockLevel]:
    return _stock_rows(variant_ids=variant_ids, stock_ids=stock_ids, lock=True)


def _release_order(allocations: list[LineAllocation]) -> list[LineAllocation]:
    """Which allocations give units back first: the least preferred warehouse (highest priority number)."""
    return sorted(allocations, key=lambda a: (-a.warehouse.priority, -a.warehouse_id, -a.stock_id))


def _options(rows: list[StockLevel], *, ops: _StockOps, preferred_warehouses: set[int]) -> list[StockOption]:
    """Candidate rows for new units. Units this edit releases count as available again, and warehouses
    the order already ships from come first (an edit should not split the parcel when it can help it)."""
    ranked = sorted(
        {row.warehouse_id: row.warehouse for row in rows if row.warehouse.is_active}.values(),
        key=lambda w: (w.pk not in preferred_warehouses, w.priority, w.pk),
    )
    rank = {warehouse.pk: index for index, warehouse in enumerate(ranked)}
    return [
        StockOption(
            stock_id=row.pk,
            variant_id=row.variant_id,
            warehouse_id=row.warehouse_id,
            warehouse_priority=rank[row.warehouse_id],
            available=row.available + ops.released_on(row.pk),
        )
        for row in rows
        if row.warehouse_id in rank
    ]


def _apply(
    order: Order, ops: _StockOps, *, actor: Actor, rows: dict[int, StockLevel]
) -> list[dict[str, Any]]:
    """Run the releases and reservations in ascending stock id order (a release before a reservation of
    the same row), then return what happened per row for the event."""
    reference = services._reference(order.number)
    steps = sorted(
        [(stock_id, 0, qty) for (stock_id, _key), qty in ops.releases.items() if qty]
        + [(stock_id, 1, qty) for (stock_id, _key), qty in ops.reserves.items() if qty]
    )
    for stock_id, kind, qty in steps:
        if kind == 0:
            stock_release(stock_id=stock_id, quantity=qty, actor=actor, reference=reference)
        else:
            stock_reserve(stock_id=stock_id, quantity=qty, actor=actor, reference=reference)
    net: dict[int, int] = defaultdict(int)
    for stock_id, kind, qty in steps:
        net[stock_id] += qty if kind else -qty
    return [
        {
            "warehouse": rows[stock_id].warehouse.code if stock_id in rows else None,
            "stock_id": stock_id,
            "reserved": delta,
        }
        for stock_id, delta in sorted(net.items())
        if delta
    ]


# --- Editing ---------------------------------------------------------------------------------------------


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _address_of(order: Order) -> dict[str, str]:
    return {name: getattr(order, column) for name, column in ADDRESS_FIELDS.items()}


def preferred_of(order: Order) -> PreferredDelivery:
    """The order's preferred delivery window as it stands."""
    return PreferredDelivery(
        date=order.preferred_date, time_from=order.preferred_time_from, time_to=order.preferred_time_to
    )


def _preferred_json(preferred: PreferredDelivery) -> dict[str, str | None]:
    return {
        "date": preferred.date.isoformat() if preferred.date else None,
        "time_from": preferred.time_from.strftime("%H:%M") if preferred.time_from else None,
        "time_to": preferred.time_to.strftime("%H:%M") if preferred.time_to else None,
    }


@dataclass
class _Plan:
    """An edit worked out and checked but not written: `order_edit` writes it, `order_edit_preview`
    shows it. Both get it from `_plan`, so the preview is what saving does."""

    order: Order
    lines: list[OrderLine]
    changes: list[dict[str, Any]]
    ops: _StockOps
    rows: dict[int, StockLevel]
    remove_ids: list[int]
    quantities: dict[int, int]
    # Units to take back from each line (line id → allocation id → units).
    give_back: dict[int, dict[int, int]]
    backorder_cut: dict[int, int]
    backordered_now: dict[Any, int]
    new_lines: list[tuple[Variant, LineData]]
    first_new_position: int
    address: dict[str, str] | None  # the new address, when it changes
    delivery_method: DeliveryMethod | None  # the new method, when it changes
    priority: str | None  # the new priority, when the method change moves it (express or back)
    preferred: PreferredDelivery | None  # the new window, when it changes
    subtotal: Decimal
    delivery: Decimal

    def key_position(self, key: Any) -> tuple[int, str]:
        """The position and SKU of a line key (an existing line's id or ("new", index))."""
        line = next((line for line in self.lines if line.pk == key), None)
        if line is not None:
            return line.position, line.sku
        variant = self.new_lines[key[1]][0]
        return self.first_new_position + key[1], variant.sku


def _plan(
    order: Order,
    *,
    add_lines: Sequence[LineData],
    remove_ids: list[int],
    quantities: dict[int, int],
    shipping_address: AddressData | None,
    delivery_method_code: str | None,
    preferred_delivery: PreferredDelivery | None,
    lock: bool,
) -> _Plan:
    """Check the input with the placing rules and work out every change of the edit (stock per warehouse,
    lines, address, method, window, totals). Reads only; `lock` locks the stock rows it will touch."""
    _editable(order)
    lines = list(order.lines.select_related("variant__product").prefetch_related("allocations__warehouse"))
    by_id = {line.pk: line for line in lines}
    for line_id in [*remove_ids, *quantities]:
        if line_id not in by_id:
            raise OrderLineNotFound(details={"line_id": line_id})

    # --- Check the input with the placing rules -------------------------------------------------------
    intake = services._Intake()
    intake.currency = order.currency
    for line_id, quantity in quantities.items():
        line = by_id[line_id]
        if isinstance(quantity, bool) or not 1 <= quantity <= services.MAX_LINE_QUANTITY:
            intake.error(
                f"lines.{line.position}.quantity",
                _("Must be between 1 and %(n)s; remove the line instead of setting 0.")
                % {"n": services.MAX_LINE_QUANTITY},
            )
        if line_id in remove_ids:
            intake.error(f"lines.{line.position}.quantity", _("This line is being removed."))
    services._check_lines(intake, add_lines, prefix="add_lines")
    remaining = len(lines) - len(remove_ids) + len(add_lines)
    if remaining < 1:
        intake.error("lines", _("An order needs at least one line; cancel the order instead."))
    elif remaining > services.MAX_LINES:
        intake.error(
            "lines",
            ngettext("At most %(n)s line.", "At most %(n)s lines.", services.MAX_LINES)
            % {"n": services.MAX_LINES},
        )
    method_code = delivery_method_code or order.delivery_method.code
    if shipping_address is not None:
        kind = DeliveryMethod.objects.filter(code=method_code).values_list("kind", flat=True).first() or ""
        services._check_address(intake, shipping_address, delivery_kind=kind)
    else:
        intake.country = order.ship_country
    if delivery_method_code or shipping_address is not None:
        services._check_delivery_method(intake, method_code)
        services._check_delivery_currency(intake)
    # An unchanged window is not checked again (its date may have passed since the order was placed).
    if preferred_delivery is not None and preferred_delivery != preferred_of(order):
        services._check_preferred_delivery(intake, preferred_delivery)
    else:
        preferred_delivery = None
    if intake.errors:
        raise InvalidInput(details=intake.errors)

    changes: list[dict[str, Any]] = []
    ops = _StockOps()
    release_rows: set[int] = set()
    give_back: dict[int, dict[int, int]] = defaultdict(dict)
    backorder_cut: dict[int, int] = {}
    demands: list[tuple[Any, int, int]] = []  # (line key, variant id, units)

    for line_id in remove_ids:
        line = by_id[line_id]
        for allocation in line.allocations.all():
            ops.releases[(allocation.stock_id, line_id)] += allocation.quantity
            give_back[line_id][allocation.pk] = allocation.quantity
            release_rows.add(allocation.stock_id)
        changes.append(
            {"action": "remove_line", "position": line.position, "sku": line.sku, "quantity": line.quantity}
        )
    for line_id, quantity in sorted(quantities.items()):
        line = by_id[line_id]
        if quantity == line.quantity:
            continue
        changes.append(
            {
                "action": "quantity",
                "position": line.position,
                "sku": line.sku,
                "from": line.quantity,
                "to": quantity,
            }
        )
        if quantity > line.quantity:
            demands.append((line_id, line.variant_id, quantity - line.quantity))
            continue
        less = line.quantity - quantity
        backorder_cut[line_id] = min(less, line.quantity_backordered)
        less -= backorder_cut[line_id]
        for allocation in _release_order(list(line.allocations.all())):
            if less == 0:
                break
            take = min(less, allocation.quantity)
            ops.releases[(allocation.stock_id, line_id)] += take
            give_back[line_id][allocation.pk] = take
            release_rows.add(allocation.stock_id)
            less -= take
    first_new_position = max((line.position for line in lines), default=0) + 1
    variant_of = {variant.sku: variant for variant in intake.variants}
    new_lines = [(variant_of[new_line.sku.strip()], new_line) for new_line in add_lines]
    for index, (variant, new_line) in enumerate(new_lines):
        demands.append((("new", index), variant.pk, new_line.quantity))
        changes.append(
            {
                "action": "add_line",
                "position": first_new_position + index,
                "sku": variant.sku,
                "quantity": new_line.quantity,
            }
        )

    # --- Plan and check the new units ----------------------------------------------------------------
    rows = _stock_rows(
        variant_ids={variant_id for _key, variant_id, _qty in demands}, stock_ids=release_rows, lock=lock
    )
    kept_warehouses = {
        allocation.warehouse_id
        for line in lines
        if line.pk not in remove_ids
        for allocation in line.allocations.all()
    }
    options = _options(rows, ops=ops, preferred_warehouses=kept_warehouses)
    strategy = str(services._order_setting("ALLOCATION_STRATEGY", "priority"))
    plans = plan_allocation(
        [LineDemand(variant_id=variant_id, quantity=qty) for _key, variant_id, qty in demands],
        options,
        strategy,
    )
    may_wait = order.status == S.AWAITING_STOCK or domain.can_transition(order.status, S.AWAITING_STOCK)
    allows_backorder = {line.variant_id: line.variant.product.allow_backorder for line in lines}
    allows_backorder.update({v.pk: v.product.allow_backorder for v in intake.variants})
    short = []
    backordered_now: dict[Any, int] = {}
    for (key, variant_id, qty), plan in zip(demands, plans, strict=True):
        for stock_id, take in plan.takes:
            ops.reserves[(stock_id, key)] += take
        if plan.short == 0:
            continue
        if allows_backorder[variant_id] and may_wait:
            backordered_now[key] = plan.short
            continue
        position = by_id[key].position if key in by_id else first_new_position + key[1]
        short.append(
            {
                "position": position,
                "sku": by_id[key].sku if key in by_id else add_lines[key[1]].sku.strip(),
                "requested": qty,
                "available": sum(o.available for o in options if o.variant_id == variant_id),
            }
        )
    if short:
        raise InsufficientStock(details={"lines": short})

    # --- Address, delivery method, preferred window ----------------------------------------------------
    address = None
    if shipping_address is not None:
        before = _address_of(order)
        values = {
            name: clean_text(getattr(shipping_address, name), ADDRESS_LENGTHS[name])
            for name in ADDRESS_FIELDS
        }
        values["country"] = intake.country
        if values != before:
            address = values
            changes.append({"action": "shipping_address", "from": before, "to": values})
    method = None
    priority = None
    if intake.delivery_method is not None and intake.delivery_method.pk != order.delivery_method_id:
        method = intake.delivery_method
        changes.append({"action": "delivery_method", "from": order.delivery_method.code, "to": method.code})
        moved = domain.priority_after_method_change(
            old_kind=order.delivery_method.kind, new_kind=method.kind, current=order.priority
        )
        if moved != order.priority:
            priority = moved
            changes.append({"action": "priority", "from": order.priority, "to": moved})
    if preferred_delivery is not None:
        changes.append(
            {
                "action": "preferred_delivery",
                "from": _preferred_json(preferred_of(order)),
                "to": _preferred_json(preferred_delivery),
            }
        )

    # Lines keep the price they were ordered at; new lines take today's price.
    subtotal = sum(
        (
            line.unit_price_amount * quantities.get(line.pk, line.quantity)
            for line in lines
            if line.pk not in remove_ids
        ),
        Decimal("0"),
    ) + sum((variant.price_amount * new_line.quantity for variant, new_line in new_lines), Decimal("0"))
    return _Plan(
        order=order,
        lines=lines,
        changes=changes,
        ops=ops,
        rows={row.pk: row for row in rows},
        remove_ids=remove_ids,
        quantities=quantities,
        give_back=give_back,
        backorder_cut=backorder_cut,
        backordered_now=backordered_now,
        new_lines=new_lines,
        first_new_position=first_new_position,
        address=address,
        delivery_method=method,
        priority=priority,
        preferred=preferred_delivery,
        subtotal=subtotal,
        delivery=(method or order.delivery_method).price_amount,
    )


def _totals(order: Order) -> dict[str, str]:
    return {
        "subtotal": _money(order.subtotal_amount),
        "discount": _money(order.discount_amount),
        "delivery": _money(order.delivery_amount),
        "total": _money(order.total_amount),
    }


def _write(plan: _Plan, *, actor: Actor, reason: str) -> Order:
    """Write a plan: stock (with its ledger rows), allocations, lines, the order's fields and totals, the
    `edit` event, and `awaiting_stock` when units were backordered."""
    order = plan.order
    promise_before = services.promise_inputs(order)
    by_id = {line.pk: line for line in plan.lines}
    stock_changes = _apply(order, plan.ops, actor=actor, rows=plan.rows)
    allocations = {a.pk: a for line in plan.lines for a in line.allocations.all()}
    for takes in plan.give_back.values():
        for allocation_id, take in takes.items():
            allocation = allocations[allocation_id]
            if take >= allocation.quantity:
                allocation.delete()
            else:
                LineAllocation.objects.filter(pk=allocation_id).update(quantity=F("quantity") - take)
    if plan.remove_ids:
        OrderLine.objects.filter(pk__in=plan.remove_ids).delete()
    for line_id, quantity in plan.quantities.items():
        line = by_id[line_id]
        if quantity == line.quantity:
            continue
        line.quantity_backordered += plan.backordered_now.get(line_id, 0) - plan.backorder_cut.get(line_id, 0)
        line.quantity = quantity
        line.save(update_fields=["quantity", "quantity_backordered"])
    created = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=plan.first_new_position + index,
                variant=variant,
                sku=variant.sku,
                name=variant.product.name[:200],
                attributes=variant.attributes,
                quantity=new_line.quantity,
                quantity_backordered=plan.backordered_now.get(("new", index), 0),
                unit_price_amount=variant.price_amount,
                note=clean_text(new_line.note, 500),
            )
            for index, (variant, new_line) in enumerate(plan.new_lines)
        ]
    )
    line_ids: dict[Any, int] = {key: line.pk for key, line in by_id.items()}
    line_ids.update({("new", index): line.pk for index, line in enumerate(created)})
    for (stock_id, key), qty in sorted(plan.ops.reserves.items(), key=lambda item: item[0][0]):
        updated = LineAllocation.objects.filter(line_id=line_ids[key], stock_id=stock_id).update(
            quantity=F("quantity") + qty
        )
        if not updated:
            LineAllocation.objects.create(
                line_id=line_ids[key],
                stock_id=stock_id,
                warehouse_id=plan.rows[stock_id].warehouse_id,
                quantity=qty,
            )

    update_fields: list[str] = []
    if plan.address is not None:
        for name, value in plan.address.items():
            setattr(order, ADDRESS_FIELDS[name], value)
        update_fields += list(ADDRESS_FIELDS.values())
    if plan.delivery_method is not None:
        order.delivery_method = plan.delivery_method
        update_fields.append("delivery_method")
    if plan.priority is not None:
        order.priority = plan.priority
        update_fields.append("priority")
    if plan.preferred is not None:
        order.preferred_date = plan.preferred.date
        order.preferred_time_from = plan.preferred.time_from
        order.preferred_time_to = plan.preferred.time_to
        update_fields += ["preferred_date", "preferred_time_from", "preferred_time_to"]

    had_discount = bool(order.discount_amount)
    totals_before = _totals(order)
    order.subtotal_amount = plan.subtotal
    # A coupon is recomputed on the new goods under the terms it was redeemed with.
    discount = redemption_discount(order_id=order.pk, subtotal=Money.of(plan.subtotal, order.currency))
    order.discount_amount = discount.amount if discount is not None else Decimal("0")
    order.delivery_amount = plan.delivery
    order.total_amount = order.subtotal_amount - order.discount_amount + order.delivery_amount
    order.save(
        update_fields=[
            *update_fields,
            "subtotal_amount",
            "discount_amount",
            "delivery_amount",
            "total_amount",
            "updated_at",
        ]
    )
    totals_after = _totals(order)
    if not had_discount and not order.discount_amount:
        # Orders without a coupon keep their totals as subtotal, delivery, total.
        totals_before.pop("discount")
        totals_after.pop("discount")
    data: dict[str, Any] = {"changes": plan.changes, "stock": stock_changes, "currency": order.currency}
    if totals_after != totals_before:
        data["totals"] = {"from": totals_before, "to": totals_after}
    if plan.backordered_now:
        data["backordered"] = sum(plan.backordered_now.values())
    # One promised date: recomputed when the edit changed what it is worked out from.
    promised = services.order_promise_refresh(order, before=promise_before)
    if promised is not None:
        data["promised_date"] = promised
    services._event(order, kind=EventKind.EDIT, actor=actor, reason=reason, data=data)
    services._record_edit(
        order,
        actor=actor,
        reason=reason,
        changes=plan.changes,
        totals=data.get("totals"),
        backordered=data.get("backordered", 0),
    )
    if plan.backordered_now and order.status != S.AWAITING_STOCK:
        services._move(order, S.AWAITING_STOCK, actor=actor, reason="edit_backordered")
    if totals_after["total"] != totals_before["total"]:
        # The customer owes the difference (a payment link) or is owed it (a refund staff confirm).
        from orderloop.payments.services import payment_reconcile_after_edit

        payment_reconcile_after_edit(order_id=order.pk, actor=actor)
        order.refresh_from_db()
    return order


def _normalized(
    add_lines: Sequence[LineData],
    remove_line_ids: Sequence[int],
    quantities: Mapping[int, int] | None,
    shipping_address: AddressData | None,
    delivery_method_code: str | None,
    preferred_delivery: PreferredDelivery | None,
) -> tuple[list[int], dict[int, int]]:
    quantities = dict(quantities or {})
    remove_ids = list(dict.fromkeys(remove_line_ids))
    if not (
        add_lines
        or remove_ids
        or quantities
        or shipping_address is not None
        or delivery_method_code
        or preferred_delivery is not None
    ):
        raise InvalidInput(_("Nothing to change."), details={"body": _("Nothing to change.")})
    return remove_ids, quantities


def order_edit(
    *,
    order_id: int,
    actor: Actor,
    add_lines: Sequence[LineData] = (),
    remove_line_ids: Sequence[int] = (),
    quantities: Mapping[int, int] | None = None,
    shipping_address: AddressData | None = None,
    delivery_method_code: str | None = None,
    preferred_delivery: PreferredDelivery | None = None,
    reason: str = "",
) -> Order:
    """Change an order that has not reached the warehouse, all in one transaction.

    - `add_lines`: new lines (same checks as placing: SKU for sale, in the order's currency, quantity).
    - `remove_line_ids`: lines to drop; their reservations go back to stock. An order keeps one line
      at least (cancel it instead).
    - `quantities`: line id → new quantity. Less: backordered units go first, then reserved units from
      the least preferred warehouse. More: the difference is reserved like a new line, preferring the
      warehouses the order already ships from.
    - `shipping_address` / `delivery_method_code`: re-checked with the placing rules (required fields per
      country, the method offered there); the delivery price follows the method.
    - `preferred_delivery`: the customer's new window (all empty: none), checked as when placing.

    New units that no warehouse has are refused (InsufficientStock, 409, nothing changes) unless the
    product allows backorders and the order may wait for stock; then it moves to `awaiting_stock`.
    Totals are recomputed (lines keep the price they were ordered at; new lines take today's price), and
    when the total changes the payments area settles the difference (payment_reconcile_after_edit).
    Raises OrderNotEditable (409) from picking on, OrderLineNotFound (404), InvalidInput (422; lines
    are named by position: `lines.<position>.quantity`, `add_lines.<index>.sku`).
    Returns the order; an edit that changes nothing writes nothing.
    """
    remove_ids, quantities = _normalized(
        add_lines, remove_line_ids, quantities, shipping_address, delivery_method_code, preferred_delivery
    )
    with transaction.atomic():
        order = services._locked(order_id)
        plan = _plan(
            order,
            add_lines=add_lines,
            remove_ids=remove_ids,
            quantities=quantities,
            shipping_address=shipping_address,
            delivery_method_code=delivery_method_code,
            preferred_delivery=preferred_delivery,
            lock=True,
        )
        if not plan.changes:
            return order
        return _write(plan, actor=actor, reason=reason)


@dataclass(frozen=True)
class StockChange:
    """One line's reservation change in one warehouse, and what stays available there."""

    position: int
    sku: str
    warehouse: str
    reserved: int  # more than 0: reserved now; less than 0: given back to stock
    available_before: int
    available_after: int

    @property
    def released(self) -> int:
        return max(-self.reserved, 0)


@dataclass(frozen=True)
class EditPreview:
    """What saving an edit will do, before it is saved."""

    changes: list[dict[str, Any]]  # as the `edit` event will record them
    stock: list[StockChange]
    backordered: list[dict[str, Any]]  # {"position", "sku", "units"}: units that will wait for stock
    totals_before: dict[str, Money]  # subtotal, discount, delivery, total
    totals_after: dict[str, Money]
    paid: Money  # paid so far (captured less refunded)
    due: Money  # the customer will be asked to pay this (a payment link)
    refund: Money  # this will go back to the customer (a refund staff confirm)
    payment_kind: str

    @property
    def difference(self) -> Money:
        return self.totals_after["total"] - self.totals_before["total"]


def order_edit_preview(
    *,
    order_id: int,
    add_lines: Sequence[LineData] = (),
    remove_line_ids: Sequence[int] = (),
    quantities: Mapping[int, int] | None = None,
    shipping_address: AddressData | None = None,
    delivery_method_code: str | None = None,
    preferred_delivery: PreferredDelivery | None = None,
) -> EditPreview:
    """What `order_edit` would do with the same input: the same checks and planning (`_plan`), without
    writing or locking anything. Raises what order_edit would raise (InvalidInput, InsufficientStock,
    OrderNotEditable, OrderLineNotFound)."""
    from orderloop.payments import selectors as payment_selectors

    remove_ids, quantities = _normalized(
        add_lines, remove_line_ids, quantities, shipping_address, delivery_method_code, preferred_delivery
    )
    order = Order.objects.select_related("delivery_method", "payment_method").filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound()
    plan = _plan(
        order,
        add_lines=add_lines,
        remove_ids=remove_ids,
        quantities=quantities,
        shipping_address=shipping_address,
        delivery_method_code=delivery_method_code,
        preferred_delivery=preferred_delivery,
        lock=False,
    )
    row_delta: dict[int, int] = defaultdict(int)
    line_delta: dict[tuple[Any, int], int] = defaultdict(int)
    for (stock_id, key), qty in plan.ops.releases.items():
        row_delta[stock_id] -= qty
        line_delta[(key, stock_id)] -= qty
    for (stock_id, key), qty in plan.ops.reserves.items():
        row_delta[stock_id] += qty
        line_delta[(key, stock_id)] += qty
    stock = []
    for (key, stock_id), delta in line_delta.items():
        if not delta:
            continue
        row = plan.rows[stock_id]
        position, sku = plan.key_position(key)
        stock.append(
            StockChange(
                position=position,
                sku=sku,
                warehouse=row.warehouse.code,
                reserved=delta,
                available_before=row.available,
                available_after=row.available - row_delta[stock_id],
            )
        )
    stock.sort(key=lambda change: (change.position, change.warehouse))
    backordered = [
        {"position": position, "sku": sku, "units": units}
        for key, units in plan.backordered_now.items()
        for position, sku in [plan.key_position(key)]
    ]

    currency = order.currency
    discount = redemption_discount_for(order_id=order.pk, subtotal=Money.of(plan.subtotal, currency))
    discount_amount = discount.amount if discount is not None else Decimal("0")
    total = plan.subtotal - discount_amount + plan.delivery
    settle = payment_selectors.edit_difference(order, total=total)
    paid = payment_selectors.payment_sums(order).net_paid
    return EditPreview(
        changes=plan.changes,
        stock=stock,
        backordered=sorted(backordered, key=lambda item: item["position"]),
        totals_before={
            "subtotal": Money.of(order.subtotal_amount, currency),
            "discount": Money.of(order.discount_amount, currency),
            "delivery": Money.of(order.delivery_amount, currency),
            "total": Money.of(order.total_amount, currency),
        },
        totals_after={
            "subtotal": Money.of(plan.subtotal, currency),
            "discount": Money.of(discount_amount, currency),
            "delivery": Money.of(plan.delivery, currency),
            "total": Money.of(total, currency),
        },
        paid=Money.of(paid, currency),
        # Saving settles payments only when the total changes (see _write).
        due=Money.of(settle.due if total != order.total_amount else 0, currency),
        refund=Money.of(settle.refund if total != order.total_amount else 0, currency),
        payment_kind=order.payment_method.kind,
    )


def order_line_add(
    *, order_id: int, sku: str, quantity: int, actor: Actor, note: str = "", reason: str = ""
) -> Order:
    """Add one line (see order_edit)."""
    return order_edit(
        order_id=order_id,
        actor=actor,
        add_lines=[LineData(sku=sku, quantity=quantity, note=note)],
        reason=reason,
    )


def order_line_remove(*, order_id: int, line_id: int, actor: Actor, reason: str = "") -> Order:
    """Drop one line and give its reservation back (see order_edit)."""
    return order_edit(order_id=order_id, actor=actor, remove_line_ids=[line_id], reason=reason)


def order_line_set_quantity(
    *, order_id: int, line_id: int, quantity: int, actor: Actor, reason: str = ""
) -> Order:
    """Change one line's quantity, reserving or releasing the difference (see order_edit)."""
    return order_edit(order_id=order_id, actor=actor, quantities={line_id: quantity}, reason=reason)


def order_change_address(
    *, order_id: int, shipping_address: AddressData, actor: Actor, reason: str = ""
) -> Order:
    """Ship somewhere else; the delivery method must be offered there (see order_edit)."""
    return order_edit(order_id=order_id, actor=actor, shipping_address=shipping_address, reason=reason)


def order_change_delivery_method(
    *, order_id: int, delivery_method_code: str, actor: Actor, reason: str = ""
) -> Order:
    """Another delivery method; the delivery price and total follow (see order_edit)."""
    return order_edit(
        order_id=order_id, actor=actor, delivery_method_code=delivery_method_code, reason=reason
    )


# --- Moving a reservation --------------------------------------------------------------------------------


def order_line_move_allocation(
    *,
    order_id: int,
    line_id: int,
    from_warehouse: str,
    to_warehouse: str,
    quantity: int,
    actor: Actor,
    reason: str = "",
) -> Order:
    """Reserve `quantity` units of a line in `to_warehouse` instead of `from_warehouse` (warehouse codes).

    One transaction: release in one warehouse, reserve in the other, both ledger rows, the allocation
    rows and an `edit` event. Not enough available in the target: InsufficientStock (409) and nothing
    changes. Only before picking (OrderNotEditable, 409).
    """
    from_code = (from_warehouse or "").strip()
    to_code = (to_warehouse or "").strip()
    errors: dict[str, str] = {}
    if isinstance(quantity, bool) or quantity < 1:
        errors["quantity"] = _("Must be at least 1.")
    if from_code.lower() == to_code.lower():
        errors["to_warehouse"] = _("Choose a different warehouse.")
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        order = services._locked(order_id)
        _editable(order)
        line = OrderLine.objects.filter(order=order, pk=line_id).first()
        if line is None:
            raise OrderLineNotFound(details={"line_id": line_id})
        source = (
            LineAllocation.objects.select_related("warehouse")
            .filter(line=line, warehouse__code__iexact=from_code)
            .first()
        )
        if source is None:
            raise InvalidInput(
                details={
                    "from_warehouse": _("Nothing of this line is reserved in %(warehouse)s.")
                    % {"warehouse": from_code}
                }
            )
        if quantity > source.quantity:
            raise InvalidInput(
                details={
                    "quantity": ngettext(
                        "Only %(n)s unit of this line is reserved in %(warehouse)s.",
                        "Only %(n)s units of this line are reserved in %(warehouse)s.",
                        source.quantity,
                    )
                    % {"n": source.quantity, "warehouse": source.warehouse.code}
                }
            )
        target = Warehouse.objects.filter(code__iexact=to_code, is_active=True).first()
        if target is None:
            raise InvalidInput(details={"to_warehouse": _("No active warehouse has this code.")})
        target_stock_id = (
            StockLevel.objects.filter(variant_id=line.variant_id, warehouse=target)
            .values_list("id", flat=True)
            .first()
        )
        short = {
            "lines": [
                {
                    "position": line.position,
                    "sku": line.sku,
                    "warehouse": target.code,
                    "requested": quantity,
                    "available": 0,
                }
            ]
        }
        if target_stock_id is None:
            raise InsufficientStock(details=short)
        rows = {
            row.pk: row
            for row in StockLevel.objects.select_for_update(no_key=True, of=("self",))
            .select_related("warehouse")
            .filter(pk__in=[source.stock_id, target_stock_id])
            .order_by("id")
        }
        short["lines"][0]["available"] = rows[target_stock_id].available
        if rows[target_stock_id].available < quantity:
            raise InsufficientStock(details=short)
        promise_before = services.promise_inputs(order)
        ops = _StockOps()
        ops.releases[(source.stock_id, line.pk)] = quantity
        ops.reserves[(target_stock_id, line.pk)] = quantity
        _apply(order, ops, actor=actor, rows=rows)
        if quantity == source.quantity:
            source.delete()
        else:
            LineAllocation.objects.filter(pk=source.pk).update(quantity=F("quantity") - quantity)
        if not LineAllocation.objects.filter(line=line, stock_id=target_stock_id).update(
            quantity=F("quantity") + quantity
        ):
            LineAllocation.objects.create(
                line=line, stock_id=target_stock_id, warehouse=target, quantity=quantity
            )
        changes = [
            {
                "action": "move_allocation",
                "position": line.position,
                "sku": line.sku,
                "from_warehouse": source.warehouse.code,
                "to_warehouse": target.code,
                "quantity": quantity,
            }
        ]
        services._record_edit(order, actor=actor, reason=reason, changes=changes)
        # Another warehouse may hand the parcel over on another day: the promise follows.
        promised = services.order_promise_refresh(order, before=promise_before)
        services._event(
            order,
            kind=EventKind.EDIT,
            actor=actor,
            reason=reason,
            data={
                **({"promised_date": promised} if promised is not None else {}),
                "changes": changes,
                "stock": [
                    {"warehouse": source.warehouse.code, "stock_id": source.stock_id, "reserved": -quantity},
                    {"warehouse": target.code, "stock_id": target_stock_id, "reserved": quantity},
                ],
            },
        )
        return order
