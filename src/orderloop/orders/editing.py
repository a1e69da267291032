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
from django.utils.translation import gettext_lazy

from orderloop.core.errors import Conflict, InvalidInput, NotFound
from orderloop.core.money import Money
from orderloop.core.text import clean_text
from orderloop.inventory.errors import InsufficientStock
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.services import stock_release, stock_reserve
from orderloop.promotions.services import redemption_discount

from . import domain, services
from .allocation import LineDemand, StockOption, plan_allocation
from .domain import AddressData, LineData
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


def _lock_stock(*, variant_ids: set[int], stock_ids: set[int]) -> list[StockLevel]:
    """Every stock row the edit may touch, locked in one statement in ascending id order: the active
    warehouses' rows of the variants that need more units, and the rows units are released from."""
    if not variant_ids and not stock_ids:
        return []
    return list(
        StockLevel.objects.select_for_update(no_key=True, of=("self",))
        .select_related("warehouse")
        .filter(Q(variant_id__in=variant_ids, warehouse__is_active=True) | Q(pk__in=stock_ids))
        .order_by("id")
    )


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


def order_edit(
    *,
    order_id: int,
    actor: Actor,
    add_lines: Sequence[LineData] = (),
    remove_line_ids: Sequence[int] = (),
    quantities: Mapping[int, int] | None = None,
    shipping_address: AddressData | None = None,
    delivery_method_code: str | None = None,
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

    New units that no warehouse has are refused (InsufficientStock, 409, nothing changes) unless the
    product allows backorders and the order may wait for stock; then it moves to `awaiting_stock`.
    Totals are recomputed (lines keep the price they were ordered at; new lines take today's price).
    Raises OrderNotEditable (409) from picking on, OrderLineNotFound (404), InvalidInput (422; lines
    are named by position: `lines.<position>.quantity`, `add_lines.<index>.sku`).
    Returns the order; an edit that changes nothing writes nothing.
    """
    quantities = dict(quantities or {})
    remove_ids = list(dict.fromkeys(remove_line_ids))
    if not (add_lines or remove_ids or quantities or shipping_address is not None or delivery_method_code):
        raise InvalidInput(_("Nothing to change."), details={"body": _("Nothing to change.")})
    with transaction.atomic():
        order = services._locked(order_id)
        _editable(order)
        lines = list(
            order.lines.select_related("variant__product").prefetch_related("allocations__warehouse")
        )
        by_id = {line.pk: line for line in lines}
        for line_id in [*remove_ids, *quantities]:
            if line_id not in by_id:
                raise OrderLineNotFound(details={"line_id": line_id})

        # --- Check the input with the placing rules -------------------------------------------------
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
            intake.error("lines", _("At most %(n)s lines.") % {"n": services.MAX_LINES})
        method_code = delivery_method_code or order.delivery_method.code
        if shipping_address is not None:
            kind = (
                DeliveryMethod.objects.filter(code=method_code).values_list("kind", flat=True).first() or ""
            )
            services._check_address(intake, shipping_address, delivery_kind=kind)
        else:
            intake.country = order.ship_country
        if delivery_method_code or shipping_address is not None:
            services._check_delivery_method(intake, method_code)
            services._check_delivery_currency(intake)
        if intake.errors:
            raise InvalidInput(details=intake.errors)

        changes: list[dict[str, Any]] = []
        ops = _StockOps()
        release_rows: set[int] = set()
        # Units to take back from each line (line id → allocation id → units).
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
                {
                    "action": "remove_line",
                    "position": line.position,
                    "sku": line.sku,
                    "quantity": line.quantity,
                }
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
        for index, new_line in enumerate(add_lines):
            variant = variant_of[new_line.sku.strip()]
            demands.append((("new", index), variant.pk, new_line.quantity))
            changes.append(
                {
                    "action": "add_line",
                    "position": first_new_position + index,
                    "sku": variant.sku,
                    "quantity": new_line.quantity,
                }
            )

        # --- Plan and check the new units ------------------------------------------------------------
        rows = _lock_stock(
            variant_ids={variant_id for _key, variant_id, _qty in demands}, stock_ids=release_rows
        )
        rows_by_id = {row.pk: row for row in rows}
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

        # --- Write ------------------------------------------------------------------------------------
        stock_changes = _apply(order, ops, actor=actor, rows=rows_by_id)
        allocations = {a.pk: a for line in lines for a in line.allocations.all()}
        for takes in give_back.values():
            for allocation_id, take in takes.items():
                allocation = allocations[allocation_id]
                if take >= allocation.quantity:
                    allocation.delete()
                else:
                    LineAllocation.objects.filter(pk=allocation_id).update(quantity=F("quantity") - take)
        if remove_ids:
            OrderLine.objects.filter(pk__in=remove_ids).delete()
        for line_id, quantity in quantities.items():
            line = by_id[line_id]
            if quantity == line.quantity:
                continue
            line.quantity_backordered += backordered_now.get(line_id, 0) - backorder_cut.get(line_id, 0)
            line.quantity = quantity
            line.save(update_fields=["quantity", "quantity_backordered"])
        new_lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    position=first_new_position + index,
                    variant=variant_of[new_line.sku.strip()],
                    sku=variant_of[new_line.sku.strip()].sku,
                    name=variant_of[new_line.sku.strip()].product.name[:200],
                    attributes=variant_of[new_line.sku.strip()].attributes,
                    quantity=new_line.quantity,
                    quantity_backordered=backordered_now.get(("new", index), 0),
                    unit_price_amount=variant_of[new_line.sku.strip()].price_amount,
                    note=clean_text(new_line.note, 500),
                )
                for index, new_line in enumerate(add_lines)
            ]
        )
        line_ids: dict[Any, int] = {key: line.pk for key, line in by_id.items()}
        line_ids.update({("new", index): line.pk for index, line in enumerate(new_lines)})
        for (stock_id, key), qty in sorted(ops.reserves.items(), key=lambda item: item[0][0]):
            updated = LineAllocation.objects.filter(line_id=line_ids[key], stock_id=stock_id).update(
                quantity=F("quantity") + qty
            )
            if not updated:
                LineAllocation.objects.create(
                    line_id=line_ids[key],
                    stock_id=stock_id,
                    warehouse_id=rows_by_id[stock_id].warehouse_id,
                    quantity=qty,
                )

        update_fields: list[str] = []
        if shipping_address is not None:
            before = _address_of(order)
            values = {
                name: clean_text(getattr(shipping_address, name), ADDRESS_LENGTHS[name])
                for name in ADDRESS_FIELDS
            }
            values["country"] = intake.country
            if values != before:
                for name, value in values.items():
                    setattr(order, ADDRESS_FIELDS[name], value)
                update_fields += list(ADDRESS_FIELDS.values())
                changes.append({"action": "shipping_address", "from": before, "to": values})
        if intake.delivery_method is not None and intake.delivery_method.pk != order.delivery_method_id:
            changes.append(
                {
                    "action": "delivery_method",
                    "from": order.delivery_method.code,
                    "to": intake.delivery_method.code,
                }
            )
            priority = domain.priority_after_method_change(
                old_kind=order.delivery_method.kind,
                new_kind=intake.delivery_method.kind,
                current=order.priority,
            )
            if priority != order.priority:
                changes.append({"action": "priority", "from": order.priority, "to": priority})
                order.priority = priority
                update_fields.append("priority")
            order.delivery_method = intake.delivery_method
            update_fields.append("delivery_method")
        if not changes:
            return order

        had_discount = bool(order.discount_amount)
        totals_before = {
            "subtotal": _money(order.subtotal_amount),
            "discount": _money(order.discount_amount),
            "delivery": _money(order.delivery_amount),
            "total": _money(order.total_amount),
        }
        subtotal = sum(
            (
                line.unit_price_amount * line.quantity
                for line in OrderLine.objects.filter(order=order).only("unit_price_amount", "quantity")
            ),
            Decimal("0"),
        )
        order.subtotal_amount = subtotal
        # A coupon is recomputed on the new goods under the terms it was redeemed with.
        discount = redemption_discount(order_id=order.pk, subtotal=Money.of(subtotal, order.currency))
        order.discount_amount = discount.amount if discount is not None else Decimal("0")
        order.delivery_amount = order.delivery_method.price_amount
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
        totals_after = {
            "subtotal": _money(order.subtotal_amount),
            "discount": _money(order.discount_amount),
            "delivery": _money(order.delivery_amount),
            "total": _money(order.total_amount),
        }
        if not had_discount and not order.discount_amount:
            # Orders without a coupon keep their totals as subtotal, delivery, total.
            totals_before.pop("discount")
            totals_after.pop("discount")
        data: dict[str, Any] = {"changes": changes, "stock": stock_changes, "currency": order.currency}
        if totals_after != totals_before:
            data["totals"] = {"from": totals_before, "to": totals_after}
        if backordered_now:
            data["backordered"] = sum(backordered_now.values())
        services._event(order, kind=EventKind.EDIT, actor=actor, reason=reason, data=data)
        if backordered_now and order.status != S.AWAITING_STOCK:
            services._move(order, S.AWAITING_STOCK, actor=actor, reason="edit_backordered")
        return order


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
                    "quantity": _("Only %(n)s units of this line are reserved in %(warehouse)s.")
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
        services._event(
            order,
            kind=EventKind.EDIT,
            actor=actor,
            reason=reason,
            data={
                "changes": [
                    {
                        "action": "move_allocation",
                        "position": line.position,
                        "sku": line.sku,
                        "from_warehouse": source.warehouse.code,
                        "to_warehouse": target.code,
                        "quantity": quantity,
                    }
                ],
                "stock": [
                    {"warehouse": source.warehouse.code, "stock_id": source.stock_id, "reserved": -quantity},
                    {"warehouse": target.code, "stock_id": target_stock_id, "reserved": quantity},
                ],
            },
        )
        return order
