"""Reads of the orders area shared by the API, pages and tasks. Never write."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from orderloop.catalog.models import Variant
from orderloop.catalog.selectors import variant_images
from orderloop.core.errors import InvalidInput
from orderloop.core.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from orderloop.inventory.models import StockLevel

from . import domain
from .errors import OrderNotFound
from .models import (
    DeliveryMethod,
    LineAllocation,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Priority,
)

UNASSIGNED = "none"
FIRST_BUYER = "first"
REPEAT_BUYER = "repeat"

# An order counts as closed when it reaches one of these; its close date is that event's time.
CLOSING_STATUSES = (
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
    OrderStatus.REFUSED,
    OrderStatus.RETURNED,
)


@dataclass(frozen=True)
class OrderFilters:
    statuses: list[str] = field(default_factory=list)
    channel: str | None = None
    priority: str | None = None
    # A username, or "none" for orders nobody is responsible for.
    manager: str | None = None
    on_hold: bool | None = None
    created_from: date | datetime | None = None
    created_to: date | datetime | None = None
    q: str | None = None
    # Back-office filters (the API may adopt them later): delivery method codes, "first"/"repeat"
    # buyer, close date range, shipping country (ISO code) and region, SLA breached.
    delivery_methods: list[str] = field(default_factory=list)
    buyer: str | None = None
    closed_from: date | datetime | None = None
    closed_to: date | datetime | None = None
    country: str | None = None
    region: str | None = None
    sla_breached: bool | None = None
    # A parcel's latest news is a failed delivery attempt (shipping.selectors.failed_delivery_exists).
    delivery_failed: bool | None = None


def _as_datetime(value: date | datetime, *, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    moment = datetime.combine(value, time.max if end_of_day else time.min)
    return timezone.make_aware(moment)


def order_list(*, filters: OrderFilters) -> QuerySet[Order]:
    orders = Order.objects.select_related("delivery_method", "payment_method", "manager")
    if filters.statuses:
        orders = orders.filter(status__in=filters.statuses)
    if filters.channel:
        orders = orders.filter(channel=filters.channel)
    if filters.priority:
        orders = orders.filter(priority=filters.priority)
    if filters.manager == UNASSIGNED:
        orders = orders.filter(manager__isnull=True)
    elif filters.manager:
        orders = orders.filter(manager__username=filters.manager)
    if filters.on_hold is not None:
        orders = orders.filter(on_hold=filters.on_hold)
    if filters.created_from is not None:
        orders = orders.filter(created_at__gte=_as_datetime(filters.created_from, end_of_day=False))
    if filters.created_to is not None:
        orders = orders.filter(created_at__lte=_as_datetime(filters.created_to, end_of_day=True))
    if filters.delivery_methods:
        orders = orders.filter(delivery_method__code__in=filters.delivery_methods)
    if filters.country:
        orders = orders.filter(ship_country=filters.country.strip().upper())
    if filters.region and filters.region.strip():
        orders = orders.filter(ship_region__icontains=filters.region.strip())
    if filters.buyer == REPEAT_BUYER:
        orders = orders.filter(_earlier_orders_exist())
    elif filters.buyer == FIRST_BUYER:
        orders = orders.filter(~_earlier_orders_exist())
    if filters.closed_from is not None or filters.closed_to is not None:
        closing = OrderEvent.objects.filter(order=OuterRef("pk"), to_status__in=CLOSING_STATUSES)
        if filters.closed_from is not None:
            closing = closing.filter(created_at__gte=_as_datetime(filters.closed_from, end_of_day=False))
        if filters.closed_to is not None:
            closing = closing.filter(created_at__lte=_as_datetime(filters.closed_to, end_of_day=True))
        orders = orders.filter(Exists(closing), status__in=CLOSING_STATUSES)
    if filters.sla_breached is not None and order_has_field("sla_breached_at"):
        orders = orders.filter(sla_breached_at__isnull=not filters.sla_breached)
    if filters.delivery_failed is not None:
        failed = _failed_delivery()
        orders = orders.filter(failed if filters.delivery_failed else ~failed)
    text = (filters.q or "").strip()
    if text:
        match = Q(number=text) | Q(customer_email__iexact=text) | Q(customer_name__icontains=text)
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 5:
            match |= Q(customer_phone__contains=digits)
        orders = orders.filter(match)
    return orders


@dataclass(frozen=True)
class OrderPage:
    items: list[Order]
    next_cursor: str | None


def newest_first(orders: QuerySet[Order], *, cursor: str | None, limit: int) -> OrderPage:
    """Keyset pagination by descending id: rows added meanwhile never shift a page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(details={"limit": f"must be between 1 and {MAX_LIMIT}"})
    orders = orders.order_by("-id")
    if cursor:
        orders = orders.filter(id__lt=decode_cursor(cursor))
    rows = list(orders[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(items=rows, next_cursor=encode_cursor(rows[-1].pk) if has_more and rows else None)


def _card_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("delivery_method", "payment_method", "manager").prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.order_by("position").prefetch_related(
                Prefetch("allocations", queryset=LineAllocation.objects.select_related("warehouse"))
            ),
        )
    )


def order_card(*, order_id: int) -> Order:
    """The order with everything its card shows: lines, where each line is reserved, methods, manager."""
    order = _card_queryset().filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound()
    return order


def order_by_number(number: str) -> Order:
    order = _card_queryset().filter(number=(number or "").strip()).first()
    if order is None:
        raise OrderNotFound(details={"number": number})
    return order


def order_id_by_number(number: str) -> int:
    order_id = Order.objects.filter(number=(number or "").strip()).values_list("id", flat=True).first()
    if order_id is None:
        raise OrderNotFound(details={"number": number})
    return order_id


def order_events(*, order_id: int) -> QuerySet[OrderEvent]:
    """The timeline, oldest first."""
    return OrderEvent.objects.filter(order_id=order_id).select_related("actor").order_by("id")


def delivery_methods(*, country: str | None = None, active_only: bool = True) -> list[DeliveryMethod]:
    methods = DeliveryMethod.objects.all()
    if active_only:
        methods = methods.filter(is_active=True)
    rows = list(methods)
    if country:
        rows = [method for method in rows if method.serves(country)]
    return rows


def payment_methods(*, active_only: bool = True) -> QuerySet[PaymentMethod]:
    methods = PaymentMethod.objects.all()
    return methods.filter(is_active=True) if active_only else methods


# --- Back-office list --------------------------------------------------------------------------------


def order_has_field(name: str) -> bool:
    """Whether the Order table has this column yet (risk flags and SLA columns arrive separately)."""
    return any(f.name == name for f in Order._meta.concrete_fields)


def _earlier_orders_exist() -> Q:
    """The order's customer (same phone, or same non-empty email) has an earlier order that was not
    cancelled: a repeat buyer. Two EXISTS (one per indexed column) rather than one OR inside."""
    earlier = Order.objects.filter(id__lt=OuterRef("id")).exclude(status=OrderStatus.CANCELLED)
    by_phone = earlier.filter(customer_phone=OuterRef("customer_phone"))
    by_email = earlier.filter(customer_email=OuterRef("customer_email")).exclude(customer_email="")
    return Q(Exists(by_phone)) | Q(Exists(by_email))


def _failed_delivery() -> Any:
    from orderloop.shipping.selectors import failed_delivery_exists  # shipping imports orders

    return failed_delivery_exists()


def with_list_annotations(orders: QuerySet[Order]) -> QuerySet[Order]:
    """`is_repeat` (see above), `closed_at`: when a closed order reached its current status, and
    `delivery_failed`: a parcel's latest news is a failed delivery attempt."""
    closed = (
        OrderEvent.objects.filter(
            order=OuterRef("pk"), to_status=OuterRef("status"), to_status__in=CLOSING_STATUSES
        )
        .order_by("-id")
        .values("created_at")[:1]
    )
    return orders.annotate(
        is_repeat=_earlier_orders_exist(), closed_at=Subquery(closed), delivery_failed=_failed_delivery()
    )


def _express_rank() -> Any:
    return Case(When(priority=Priority.EXPRESS, then=Value(0)), default=Value(1), output_field=IntegerField())


def _encode_express_cursor(rank: int, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"x:{rank}:{last_id}".encode()).decode().rstrip("=")


def _decode_express_cursor(cursor: str) -> tuple[int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, rank, last_id = base64.urlsafe_b64decode(padded.encode()).decode().split(":", 2)
        if kind != "x":
            raise ValueError(kind)
        return int(rank), int(last_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(details={"cursor": "not a cursor returned by this page"}) from exc


def express_first(orders: QuerySet[Order], *, cursor: str | None, limit: int) -> OrderPage:
    """The warehouse-facing order: express orders first, then the oldest first (keyset on both)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(details={"limit": f"must be between 1 and {MAX_LIMIT}"})
    orders = orders.annotate(express_rank=_express_rank()).order_by("express_rank", "id")
    if cursor:
        rank, last_id = _decode_express_cursor(cursor)
        orders = orders.filter(Q(express_rank__gt=rank) | Q(express_rank=rank, id__gt=last_id))
    rows: list[Any] = list(orders[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last: Any = rows[-1]
        next_cursor = _encode_express_cursor(last.express_rank, last.pk)
    return OrderPage(items=rows, next_cursor=next_cursor)


GROUPINGS = ("status", "channel", "delivery", "manager", "priority", "date")


@dataclass(frozen=True)
class OrderGroup:
    key: Any  # status/channel/priority value, delivery code, username (None: unassigned) or a date
    count: int
    items: list[Order]


def _group_expression(by: str) -> Any:
    return {
        "status": F("status"),
        "channel": F("channel"),
        "delivery": F("delivery_method__code"),
        "manager": F("manager__username"),
        "priority": F("priority"),
        "date": TruncDate("created_at"),
    }[by]


def _group_filter(by: str, key: Any) -> Q:
    if by == "date":
        return Q(created_at__date=key)
    if by == "manager" and key is None:
        return Q(manager__isnull=True)
    field_name = {"delivery": "delivery_method__code", "manager": "manager__username"}.get(by, by)
    return Q(**{field_name: key})


def order_groups(
    orders: QuerySet[Order], *, by: str, per_group: int = 25, max_groups: int = 60
) -> list[OrderGroup]:
    """The filtered orders in sections by `by` (see GROUPINGS), each with its full count and its newest
    `per_group` orders. Statuses follow the workflow, dates run newest first, the rest by key."""
    if by not in GROUPINGS:
        raise InvalidInput(details={"group": f"one of {', '.join(GROUPINGS)}"})
    counts = list(
        orders.order_by()
        .annotate(group_key=_group_expression(by))
        .values("group_key")
        .annotate(n=Count("id"))
        .values_list("group_key", "n")
    )
    if by == "status":
        position = {status.value: index for index, status in enumerate(OrderStatus)}
        counts.sort(key=lambda pair: position.get(pair[0], len(position)))
    elif by == "date":
        counts.sort(key=lambda pair: pair[0], reverse=True)
    else:
        counts.sort(key=lambda pair: (pair[0] is None, str(pair[0] or "")))
    return [
        OrderGroup(
            key=key, count=n, items=list(orders.filter(_group_filter(by, key)).order_by("-id")[:per_group])
        )
        for key, n in counts[:max_groups]
    ]


def order_managers() -> QuerySet[Any]:
    """Active users who may handle orders (what order_assign_manager accepts)."""
    permission = Permission.objects.filter(content_type__app_label="orders", codename="change_order")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)
        )
        .distinct()
        .order_by("username")
    )


# --- The order card ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockAvailability:
    warehouse_code: str
    warehouse_name: str
    on_hand: int
    reserved: int
    available: int


@dataclass(frozen=True)
class CardLine:
    line: OrderLine
    allocations: list[LineAllocation]
    reserved: int
    backordered: int
    stock: list[StockAvailability]
    # For a backordered line: the purchase order expected to serve it (purchasing.selectors.Arrival).
    arrival: Any = None
    # The variant's picture (catalog.models.ProductImage), if it has one.
    image: Any = None

    @property
    def available_now(self) -> int:
        return sum(row.available for row in self.stock)

    @property
    def image_url(self) -> str:
        return self.image.url("cart") if self.image is not None else ""


@dataclass(frozen=True)
class BuyerSummary:
    is_repeat: bool
    # Orders by the same phone or email that were not cancelled, this one included.
    order_count: int


@dataclass(frozen=True)
class OrderCardData:
    order: Order
    lines: list[CardLine]
    events: list[OrderEvent]
    buyer: BuyerSummary
    allowed_next: list[str]


def _stock_by_variant(variant_ids: set[int]) -> dict[int, list[StockAvailability]]:
    rows = (
        StockLevel.objects.filter(variant_id__in=variant_ids, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )
    stock: dict[int, list[StockAvailability]] = {}
    for row in rows:
        stock.setdefault(row.variant_id, []).append(
            StockAvailability(
                warehouse_code=row.warehouse.code,
                warehouse_name=row.warehouse.name,
                on_hand=row.on_hand,
                reserved=row.reserved,
                available=row.on_hand - row.reserved,
            )
        )
    return stock


def _same_customer(order: Order) -> Q:
    match = Q(customer_phone=order.customer_phone)
    if order.customer_email:
        match |= Q(customer_email=order.customer_email)
    return match


def buyer_summary(order: Order) -> BuyerSummary:
    kept = Order.objects.filter(_same_customer(order)).exclude(status=OrderStatus.CANCELLED)
    return BuyerSummary(
        is_repeat=kept.filter(id__lt=order.pk).exists(),
        order_count=kept.count(),
    )


def order_card_data(*, number: str) -> OrderCardData:
    """Everything the back-office card shows, in a fixed number of queries."""
    order = order_by_number(number)
    lines = list(order.lines.all())
    stock = _stock_by_variant({line.variant_id for line in lines})
    arrivals: dict[int, Any] = {}
    if any(line.quantity_backordered for line in lines):
        from orderloop.purchasing.selectors import expected_arrivals

        arrivals = expected_arrivals(
            variant_ids={line.variant_id for line in lines if line.quantity_backordered}
        )
    images = variant_images({line.variant_id for line in lines})
    card_lines = []
    for line in lines:
        allocations = list(line.allocations.all())
        card_lines.append(
            CardLine(
                line=line,
                allocations=allocations,
                reserved=sum(a.quantity for a in allocations),
                backordered=line.quantity_backordered,
                stock=stock.get(line.variant_id, []),
                arrival=arrivals.get(line.pk),
                image=images.get(line.variant_id),
            )
        )
    return OrderCardData(
        order=order,
        lines=card_lines,
        events=list(order_events(order_id=order.pk)),
        buyer=buyer_summary(order),
        # A hold forbids some moves: the card offers only what the service would accept.
        allowed_next=domain.allowed_now(order.status, on_hold=order.on_hold),
    )


# --- Manual order entry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerMatch:
    """A customer found among earlier orders, with what their latest order said."""

    name: str
    phone: str
    email: str
    language: str
    country: str
    region: str
    city: str
    postal_code: str
    line1: str
    line2: str
    last_number: str
    last_order_at: datetime
    order_count: int


def customer_lookup(*, text: str, country: str = "", limit: int = 5) -> list[CustomerMatch]:
    """Earlier customers whose phone or email matches what staff typed (a phone in any common format,
    or an email / its beginning). Newest first, one entry per phone number."""
    text = (text or "").replace("\x00", "").strip()
    if len(text) < 3:
        return []
    if "@" in text:
        orders = Order.objects.filter(customer_email__istartswith=text)
    else:
        digits = re.sub(r"\D", "", text)
        if len(digits) < 5:
            return []
        try:
            e164 = domain.normalize_phone(text, country)
        except domain.PhoneError:
            e164 = ""
        orders = Order.objects.filter(customer_phone=e164) if e164 else Order.objects.none()
        if not orders.exists():
            orders = Order.objects.filter(customer_phone__contains=digits)
    latest: dict[str, Order] = {}
    for order in orders.order_by("-id")[:200]:
        latest.setdefault(order.customer_phone, order)
        if len(latest) >= limit:
            break
    counts = dict(
        Order.objects.filter(customer_phone__in=list(latest))
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values("customer_phone")
        .annotate(n=Count("id"))
        .values_list("customer_phone", "n")
    )
    return [
        CustomerMatch(
            name=order.customer_name,
            phone=order.customer_phone,
            email=order.customer_email,
            language=order.customer_language,
            country=order.ship_country,
            region=order.ship_region,
            city=order.ship_city,
            postal_code=order.ship_postal_code,
            line1=order.ship_line1,
            line2=order.ship_line2,
            last_number=order.number,
            last_order_at=order.created_at,
            order_count=counts.get(phone, 0),
        )
        for phone, order in latest.items()
    ]


@dataclass(frozen=True)
class VariantOption:
    variant: Variant
    stock: list[StockAvailability]

    @property
    def available(self) -> int:
        return sum(row.available for row in self.stock)


def variant_search(*, text: str, limit: int = 20) -> list[VariantOption]:
    """Products for sale whose name, SKU or barcode matches, with live availability per warehouse."""
    text = (text or "").replace("\x00", "").strip()
    if len(text) < 2:
        return []
    variants = list(
        Variant.objects.select_related("product")
        .filter(is_active=True, product__is_active=True)
        .filter(Q(sku__icontains=text) | Q(barcode=text) | Q(product__name__icontains=text))
        .order_by("product__name", "sku")[:limit]
    )
    stock = _stock_by_variant({v.pk for v in variants})
    return [VariantOption(variant=v, stock=stock.get(v.pk, [])) for v in variants]


def variant_option(*, sku: str) -> VariantOption | None:
    """One variant by exact SKU (or barcode), for sale, with its availability."""
    code = (sku or "").replace("\x00", "").strip()
    if not code:
        return None
    variant = (
        Variant.objects.select_related("product")
        .filter(is_active=True, product__is_active=True)
        .filter(Q(sku=code) | Q(barcode=code))
        .first()
    )
    if variant is None:
        return None
    return VariantOption(variant=variant, stock=_stock_by_variant({variant.pk}).get(variant.pk, []))
