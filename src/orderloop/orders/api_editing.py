"""Orders API, editing: change lines, quantities, the address or the delivery method of an order that has
not reached the warehouse, and move a line's reservation to another warehouse.

Mounted under `/api/v1/orders` next to `orders.api.router`. Lines are named by their `position` (the
number the order card shows). Every handler answers with the order card; the rules and their errors
(409 `order_not_editable` / `insufficient_stock`, 404 `order_line_not_found`, 422 naming the field) live
in orders/editing.py.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router

from orderloop.core.api_auth import require_perm
from orderloop.core.shapes import InShape

from . import domain, editing, selectors
from .api import order_out
from .schemas import AddressIn, OrderLineIn, OrderOut, PreferredDeliveryIn, StrictInt

router = Router(tags=["orders"])


class LineQuantityIn(InShape):
    position: StrictInt
    quantity: StrictInt


class OrderEditIn(InShape):
    add_lines: list[OrderLineIn] = Field(default_factory=list, max_length=100)
    remove_lines: list[StrictInt] = Field(
        default_factory=list, max_length=100, description="Positions of the lines to remove."
    )
    quantities: list[LineQuantityIn] = Field(default_factory=list, max_length=100)
    shipping_address: AddressIn | None = None
    delivery_method: str | None = Field(None, max_length=40, description="A code from GET /delivery-methods.")
    preferred_delivery: PreferredDeliveryIn | None = Field(
        None, description="The customer's new delivery window (all fields empty: no preference)."
    )
    reason: str = Field("", max_length=255, description="Why (kept on the timeline).")


class QuantityIn(InShape):
    quantity: StrictInt
    reason: str = Field("", max_length=255)


class AddressChangeIn(AddressIn):
    reason: str = Field("", max_length=255)


class DeliveryMethodIn(InShape):
    code: str = Field(..., max_length=40, description="A code from GET /delivery-methods.")
    reason: str = Field("", max_length=255)


class LineAddIn(OrderLineIn):
    reason: str = Field("", max_length=255)


class MoveIn(InShape):
    from_warehouse: str = Field(..., max_length=20, description="Warehouse code the units are reserved in.")
    to_warehouse: str = Field(..., max_length=20, description="Warehouse code to reserve them in instead.")
    quantity: StrictInt
    reason: str = Field("", max_length=255)


def _card(order_id: int) -> OrderOut:
    return order_out(selectors.order_card(order_id=order_id))


def _address(payload: AddressIn) -> domain.AddressData:
    return domain.AddressData(**payload.model_dump(include=set(AddressIn.model_fields)))


@router.post(
    "/{number}/edit",
    response=OrderOut,
    summary="Edit an order (several changes at once, all or nothing)",
    description=(
        "Add and remove lines, change quantities, the shipping address, the delivery method or the "
        "preferred delivery window in one transaction: only the difference is reserved or released, "
        "totals are recomputed (a changed total is settled with the payments: an amount due or a refund) "
        "and one `edit` event records who changed what. Possible until picking starts (else 409 "
        "`order_not_editable`)."
    ),
)
def order_edit(request: HttpRequest, number: str, payload: OrderEditIn) -> OrderOut:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    positions = {*payload.remove_lines, *(item.position for item in payload.quantities)}
    line_ids = {p: editing.order_line_id(order_id=order_id, position=p) for p in sorted(positions)}
    editing.order_edit(
        order_id=order_id,
        actor=request.user,
        add_lines=[domain.LineData(**line.model_dump()) for line in payload.add_lines],
        remove_line_ids=[line_ids[p] for p in payload.remove_lines],
        quantities={line_ids[item.position]: item.quantity for item in payload.quantities},
        shipping_address=_address(payload.shipping_address) if payload.shipping_address else None,
        delivery_method_code=payload.delivery_method,
        preferred_delivery=(
            domain.PreferredDelivery(**payload.preferred_delivery.model_dump())
            if payload.preferred_delivery
            else None
        ),
        reason=payload.reason,
    )
    return _card(order_id)


@router.post("/{number}/lines", response={201: OrderOut}, summary="Add a line (reserves its stock)")
def order_line_add(request: HttpRequest, number: str, payload: LineAddIn) -> tuple[int, OrderOut]:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    editing.order_line_add(
        order_id=order_id,
        sku=payload.sku,
        quantity=payload.quantity,
        note=payload.note,
        reason=payload.reason,
        actor=request.user,
    )
    return 201, _card(order_id)


@router.patch(
    "/{number}/lines/{position}",
    response=OrderOut,
    summary="Change a line's quantity (reserves or releases the difference)",
)
def order_line_quantity(request: HttpRequest, number: str, position: int, payload: QuantityIn) -> OrderOut:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    editing.order_line_set_quantity(
        order_id=order_id,
        line_id=editing.order_line_id(order_id=order_id, position=position),
        quantity=payload.quantity,
        reason=payload.reason,
        actor=request.user,
    )
    return _card(order_id)


@router.delete(
    "/{number}/lines/{position}", response=OrderOut, summary="Remove a line (releases its reservation)"
)
def order_line_remove(request: HttpRequest, number: str, position: int, reason: str = "") -> OrderOut:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    editing.order_line_remove(
        order_id=order_id,
        line_id=editing.order_line_id(order_id=order_id, position=position),
        reason=reason[:255],
        actor=request.user,
    )
    return _card(order_id)


@router.post(
    "/{number}/lines/{position}/move",
    response=OrderOut,
    summary="Move a line's reservation to another warehouse",
    description="Releases in one warehouse and reserves in the other atomically; 409 "
    "`insufficient_stock` when the target lacks the units (nothing changes).",
)
def order_line_move(request: HttpRequest, number: str, position: int, payload: MoveIn) -> OrderOut:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    editing.order_line_move_allocation(
        order_id=order_id,
        line_id=editing.order_line_id(order_id=order_id, position=position),
        from_warehouse=payload.from_warehouse,
        to_warehouse=payload.to_warehouse,
        quantity=payload.quantity,
        reason=payload.reason,
        actor=request.user,
    )
    return _card(order_id)


@router.put(
    "/{number}/shipping-address",
    response=OrderOut,
    summary="Change the shipping address (checked like a new order's)",
)
def order_address_change(request: HttpRequest, number: str, payload: AddressChangeIn) -> OrderOut:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    editing.order_change_address(
        order_id=order_id, shipping_address=_address(payload), reason=payload.reason, actor=request.user
    )
    return _card(order_id)


@router.put(
    "/{number}/delivery-method",
    response=OrderOut,
    summary="Change the delivery method (delivery price and total follow)",
)
def order_delivery_method_change(request: HttpRequest, number: str, payload: DeliveryMethodIn) -> OrderOut:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    editing.order_change_delivery_method(
        order_id=order_id, delivery_method_code=payload.code, reason=payload.reason, actor=request.user
    )
    return _card(order_id)
