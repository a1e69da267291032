"""Orders API: place (with Idempotency-Key), list, the card, the timeline and the staff actions.

Each handler checks the role, parses, calls one service or selector and shapes the answer; the rules
(and their errors: 409 insufficient_stock / invalid_transition, 422 naming the field) live in services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router

from orderloop.core.api_auth import require_perm
from orderloop.core.errors import InvalidInput
from orderloop.core.idempotency import EncodedJson, run_idempotent
from orderloop.core.money import Money

from . import domain, selectors, services
from .models import (
    Channel,
    DeliveryMethod,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Priority,
)
from .schemas import (
    AddressOut,
    AssignIn,
    CancelIn,
    ConfirmIn,
    CustomerOut,
    DeliveryMethodOut,
    HoldIn,
    MethodRefOut,
    MoneyOut,
    NoteIn,
    OrderAllocationOut,
    OrderEventOut,
    OrderIn,
    OrderLineOut,
    OrderListItemOut,
    OrderOut,
    OrderPageOut,
    PaymentMethodOut,
    PaymentMethodRefOut,
    PreferredDeliveryOut,
    TotalsOut,
)

router = Router(tags=["orders"])
methods_router = Router(tags=["orders"])


def money_out(money: Money) -> MoneyOut:
    return MoneyOut(**money.as_json())


def line_out(line: OrderLine, allocations: list[Any] | None = None) -> OrderLineOut:
    if allocations is None:
        allocations = list(line.allocations.all())
    return OrderLineOut(
        position=line.position,
        sku=line.sku,
        name=line.name,
        attributes=line.attributes,
        quantity=line.quantity,
        quantity_reserved=sum(a.quantity for a in allocations),
        quantity_backordered=line.quantity_backordered,
        unit_price=money_out(line.unit_price),
        total=money_out(line.line_total),
        note=line.note,
        is_gift=line.is_gift,
        allocations=[
            OrderAllocationOut(warehouse=a.warehouse.code, quantity=a.quantity) for a in allocations
        ],
    )


def order_out(order: Order) -> OrderOut:
    """The card's data; `order` comes from selectors.order_card/order_by_number (prefetched), or
    straight from services.order_place (which carries what it wrote as `placed_lines`)."""
    placed = getattr(order, "placed_lines", None)
    lines = (
        [line_out(line, allocations) for line, allocations in placed]
        if placed is not None
        else [line_out(line) for line in order.lines.all()]
    )
    has_preferred = order.preferred_date or order.preferred_time_from or order.preferred_time_to
    return OrderOut(
        number=order.number,
        status=order.status,
        allowed_next=domain.allowed_now(order.status, on_hold=order.on_hold),
        channel=order.channel,
        external_ref=order.external_ref,
        priority=order.priority,
        on_hold=order.on_hold,
        hold_reason=order.hold_reason,
        customer=CustomerOut(
            name=order.customer_name,
            phone=order.customer_phone,
            email=order.customer_email,
            language=order.customer_language,
        ),
        shipping_address=AddressOut(
            country=order.ship_country,
            region=order.ship_region,
            city=order.ship_city,
            postal_code=order.ship_postal_code,
            line1=order.ship_line1,
            line2=order.ship_line2,
        ),
        delivery_method=MethodRefOut(code=order.delivery_method.code, name=order.delivery_method.name),
        payment_method=PaymentMethodRefOut(
            code=order.payment_method.code, name=order.payment_method.name, kind=order.payment_method.kind
        ),
        preferred_delivery=PreferredDeliveryOut(
            date=order.preferred_date, time_from=order.preferred_time_from, time_to=order.preferred_time_to
        )
        if has_preferred
        else None,
        promised_date=order.promised_date,
        coupon_code=order.coupon_code,
        thank_you_note=order.thank_you_note,
        comment=order.comment,
        manager=order.manager.get_username() if order.manager else None,
        lines=lines,
        totals=TotalsOut(
            subtotal=money_out(order.subtotal),
            discount=money_out(order.discount),
            delivery=money_out(order.delivery_price),
            total=money_out(order.total),
        ),
        created_at=order.created_at,
        updated_at=order.updated_at,
        status_changed_at=order.status_changed_at,
    )


def list_item_out(order: Order) -> OrderListItemOut:
    return OrderListItemOut(
        number=order.number,
        status=order.status,
        channel=order.channel,
        priority=order.priority,
        on_hold=order.on_hold,
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        customer_phone=order.customer_phone,
        delivery_method=order.delivery_method.code,
        payment_method=order.payment_method.code,
        total=money_out(order.total),
        manager=order.manager.get_username() if order.manager else None,
        created_at=order.created_at,
    )


def event_out(event: OrderEvent) -> OrderEventOut:
    return OrderEventOut(
        id=event.pk,
        kind=event.kind,
        from_status=event.from_status,
        to_status=event.to_status,
        actor=event.actor.get_username() if event.actor else None,
        reason=event.reason,
        note=event.note,
        data=event.data,
        created_at=event.created_at,
    )


def _card(order_id: int) -> OrderOut:
    return order_out(selectors.order_card(order_id=order_id))


# --- Orders ----------------------------------------------------------------------------------------


@router.post(
    "",
    response={201: OrderOut},
    summary="Place an order",
    description=(
        "Reserves stock in the same transaction. Send an `Idempotency-Key` header: the same key and "
        "body return the first answer again (with `Idempotent-Replayed: true`); the same key with "
        "another body is a 409 `idempotency_key_reused`."
    ),
)
def order_create(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> HttpResponse:
    require_perm(request, "orders.add_order")

    placed_number = ""

    def place() -> tuple[int, Any]:
        nonlocal placed_number
        order = services.order_place(
            channel=payload.channel,
            external_ref=payload.external_ref,
            customer=domain.CustomerData(**payload.customer.model_dump()),
            shipping_address=domain.AddressData(**payload.shipping_address.model_dump()),
            delivery_method_code=payload.delivery_method,
            payment_method_code=payload.payment_method,
            lines=[domain.LineData(**line.model_dump()) for line in payload.lines],
            priority=payload.priority,
            preferred_delivery=domain.PreferredDelivery(**payload.preferred_delivery.model_dump())
            if payload.preferred_delivery
            else None,
            comment=payload.comment,
            coupon_code=payload.coupon_code,
            thank_you_note=payload.thank_you_note,
            actor=request.user,
            savepoint=False,  # run_idempotent rolls its whole transaction back on any error
        )
        placed_number = order.number
        # Encoded once (by pydantic, in Rust) for both the key row and the response.
        return 201, EncodedJson(order_out(order).model_dump_json())

    answer = run_idempotent(
        scope=f"orders.place:{request.user.pk}",
        key=idempotency_key,
        request_body=payload.model_dump(mode="json"),
        action=place,
        only_writes_here=True,  # placing writes to the database only (the confirmation is a task row)
    )
    fresh = isinstance(answer.body, EncodedJson)
    response: HttpResponse = (
        HttpResponse(answer.body.text, status=answer.status_code, content_type="application/json")
        if fresh
        else JsonResponse(answer.body, status=answer.status_code)  # a replayed answer, decoded
    )
    if answer.status_code == 201:
        number = placed_number if fresh else answer.body["number"]
        response["Location"] = f"{request.path.rstrip('/')}/{number}"
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _statuses(raw: list[str] | None) -> list[str]:
    values = [value.strip() for item in raw or [] for value in item.split(",") if value.strip()]
    unknown = [value for value in values if value not in OrderStatus.values]
    if unknown:
        raise InvalidInput(details={"status": _("Unknown status: %(status)s.") % {"status": unknown[0]}})
    return values


@router.get("", response=OrderPageOut, summary="List orders, newest first")
def order_list(
    request: HttpRequest,
    status: list[str] | None = Query(None),  # noqa: B008
    channel: Channel | None = None,
    priority: Priority | None = None,
    manager: str | None = Query(None, description="A username, or `none` for unassigned orders."),
    on_hold: bool | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    q: str | None = Query(None, description="Number, email, phone or name."),
    delivery_failed: bool | None = Query(
        None, description="true: a parcel's latest news is a failed delivery attempt."
    ),
    cursor: str | None = None,
    limit: int = 50,
) -> OrderPageOut:
    """`status` may repeat (`?status=new&status=confirmed`) or hold a comma-separated list."""
    require_perm(request, "orders.view_order")
    filters = selectors.OrderFilters(
        statuses=_statuses(status),
        channel=channel,
        priority=priority,
        manager=manager,
        on_hold=on_hold,
        created_from=created_from,
        created_to=created_to,
        q=q,
        delivery_failed=delivery_failed,
    )
    page = selectors.newest_first(selectors.order_list(filters=filters), cursor=cursor, limit=limit)
    return OrderPageOut(items=[list_item_out(order) for order in page.items], next_cursor=page.next_cursor)


@router.get("/{number}", response=OrderOut, summary="The order card")
def order_detail(request: HttpRequest, number: str) -> OrderOut:
    require_perm(request, "orders.view_order")
    return order_out(selectors.order_by_number(number))


@router.get("/{number}/events", response=list[OrderEventOut], summary="The order's timeline, oldest first")
def order_timeline(request: HttpRequest, number: str) -> list[OrderEventOut]:
    require_perm(request, "orders.view_order")
    order_id = selectors.order_id_by_number(number)
    return [event_out(event) for event in selectors.order_events(order_id=order_id)]


@router.post("/{number}/confirm", response=OrderOut, summary="Confirm (prepaid methods then await payment)")
def order_confirm(request: HttpRequest, number: str, payload: ConfirmIn | None = None) -> OrderOut:
    require_perm(request, "orders.change_order")
    order_id = selectors.order_id_by_number(number)
    services.order_confirm(order_id=order_id, actor=request.user, note=payload.note if payload else "")
    return _card(order_id)


@router.post("/{number}/cancel", response=OrderOut, summary="Cancel and release every reservation")
def order_cancel(request: HttpRequest, number: str, payload: CancelIn) -> OrderOut:
    require_perm(request, "orders.cancel_order")
    order_id = selectors.order_id_by_number(number)
    services.order_cancel(order_id=order_id, actor=request.user, reason=payload.reason, note=payload.note)
    return _card(order_id)


@router.post("/{number}/hold", response=OrderOut, summary="Put on hold (keeps it out of the warehouse)")
def order_hold(request: HttpRequest, number: str, payload: HoldIn | None = None) -> OrderOut:
    require_perm(request, "orders.hold_order")
    order_id = selectors.order_id_by_number(number)
    services.order_hold(order_id=order_id, actor=request.user, reason=payload.reason if payload else "")
    return _card(order_id)


@router.post("/{number}/release", response=OrderOut, summary="Release from hold")
def order_release(request: HttpRequest, number: str) -> OrderOut:
    require_perm(request, "orders.hold_order")
    order_id = selectors.order_id_by_number(number)
    services.order_release_hold(order_id=order_id, actor=request.user)
    return _card(order_id)


@router.post("/{number}/notes", response={201: OrderEventOut}, summary="Add an internal note")
def order_note(request: HttpRequest, number: str, payload: NoteIn) -> tuple[int, OrderEventOut]:
    require_perm(request, "orders.note_order")
    order_id = selectors.order_id_by_number(number)
    return 201, event_out(services.order_add_note(order_id=order_id, actor=request.user, text=payload.text))


@router.post("/{number}/assign", response=OrderOut, summary="Assign the responsible manager")
def order_assign(request: HttpRequest, number: str, payload: AssignIn) -> OrderOut:
    require_perm(request, "orders.assign_order")
    order_id = selectors.order_id_by_number(number)
    services.order_assign_manager(order_id=order_id, manager_username=payload.username, actor=request.user)
    return _card(order_id)


# --- Configuration lists ---------------------------------------------------------------------------


def delivery_method_out(method: DeliveryMethod) -> DeliveryMethodOut:
    return DeliveryMethodOut(
        code=method.code,
        name=method.name,
        kind=method.kind,
        countries=list(method.countries),
        price=money_out(method.price),
        transit_days=method.transit_days,
    )


@methods_router.get("/delivery-methods", response=list[DeliveryMethodOut], summary="Delivery methods")
def delivery_method_list(request: HttpRequest, country: str | None = None) -> list[DeliveryMethodOut]:
    """Active methods; `country` (ISO two-letter) keeps those offered there."""
    require_perm(request, "orders.view_deliverymethod")
    return [delivery_method_out(m) for m in selectors.delivery_methods(country=country)]


@methods_router.get("/payment-methods", response=list[PaymentMethodOut], summary="Payment methods")
def payment_method_list(request: HttpRequest) -> list[PaymentMethod]:
    require_perm(request, "orders.view_paymentmethod")
    return list(selectors.payment_methods())
