"""Reads of returns shared by pages, the API, services and the analytics issue: policies as terms, what
an order may still return, refund quotes, signed return links, lists, and the return analytics feed.
Never write."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from orderloop.orders.domain import normalize_phone
from orderloop.orders.models import Order, OrderEvent, OrderLine, OrderStatus

from . import domain
from .errors import ReturnNotFound
from .models import (
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)

ZERO = Decimal("0")
RETURN_SALT = "orderloop.returns.track"
SETTLED = (ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED)
# The money of these returns is decided (a refund on its way counts): their units and the delivery
# charge are not refunded again by a later return.
DECIDED = (ReturnStatus.REFUND_PENDING, *SETTLED)

DEFAULT_POLICY: dict[str, Any] = {
    "window_days": 30,
    "conditions": ["unused", "original_packaging"],
    "return_shipping_paid_by": "shop",
    "return_shipping_fee": "0",
    "refund_delivery": "full_return",
    "methods": ["drop_off", "courier_pickup", "post"],
    "refund_due_days": 14,
    "auto_approve": True,
}


# --- Policies -------------------------------------------------------------------------------------------


def legal_minimums() -> dict[str, int]:
    configured = settings.ORDERLOOP.get("RETURN_LEGAL_MINIMUM_DAYS") or {}
    return {
        str(k).upper() if k not in ("*", "default") else str(k): int(v) for k, v in dict(configured).items()
    }


def legal_minimum_for(country: str) -> int:
    return domain.legal_minimum(country, legal_minimums())


def policy_row_for(country: str) -> ReturnPolicy | None:
    code = (country or "").upper()
    rows = {row.country: row for row in ReturnPolicy.objects.filter(country__in=[code, ""])}
    return rows.get(code) or rows.get("")


def policy_terms_for(country: str) -> domain.PolicyTerms:
    """The terms a customer in `country` gets: the country's policy, the shop's default policy, or the
    settings' `RETURN_POLICY`; the window raised to the legal minimum in any case."""
    code = (country or "").upper()
    minimum = legal_minimum_for(code)
    row = policy_row_for(code)
    if row is not None:
        return domain.PolicyTerms(
            country=code,
            window_days=domain.effective_window(row.window_days, minimum),
            legal_minimum=minimum,
            conditions=tuple(row.conditions or ()),
            non_returnable_category_ids=tuple(row.non_returnable_categories.values_list("id", flat=True)),
            return_shipping_paid_by=row.return_shipping_paid_by,
            return_shipping_fee=str(row.return_shipping_fee),
            refund_delivery=row.refund_delivery,
            methods=tuple(row.methods or domain.CUSTOMER_METHODS),
            refund_due_days=row.refund_due_days,
            auto_approve=row.auto_approve,
            notes=dict(row.notes_translations or {}),
        )
    config = {**DEFAULT_POLICY, **(settings.ORDERLOOP.get("RETURN_POLICY") or {})}
    from orderloop.catalog.models import Category

    slugs = config.get("non_returnable_categories") or []
    return domain.PolicyTerms(
        country=code,
        window_days=domain.effective_window(int(config["window_days"]), minimum),
        legal_minimum=minimum,
        conditions=tuple(config.get("conditions") or ()),
        non_returnable_category_ids=tuple(
            Category.objects.filter(slug__in=slugs).values_list("id", flat=True)
        )
        if slugs
        else (),
        return_shipping_paid_by=str(config["return_shipping_paid_by"]),
        return_shipping_fee=str(config["return_shipping_fee"]),
        refund_delivery=str(config["refund_delivery"]),
        methods=tuple(config.get("methods") or domain.CUSTOMER_METHODS),
        refund_due_days=int(config["refund_due_days"]),
        auto_approve=bool(config.get("auto_approve", True)),
    )


def policies() -> QuerySet[ReturnPolicy]:
    return ReturnPolicy.objects.prefetch_related("non_returnable_categories").order_by("country")


def policy_countries() -> list[str]:
    """Countries the policy page offers: those with a policy or a legal minimum, and the shop's default."""
    codes = {c for c in legal_minimums() if c not in ("*", "default")}
    codes |= {c for c in ReturnPolicy.objects.exclude(country="").values_list("country", flat=True)}
    codes.add(str(settings.ORDERLOOP.get("DEFAULT_COUNTRY", "UA")).upper())
    return sorted(codes)


# --- What an order may still return ----------------------------------------------------------------------


def delivered_at(order: Order) -> datetime | None:
    """When the order was delivered (its latest move to `delivered`)."""
    return (
        OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED, kind="status_change")
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )


def _holding(queryset: QuerySet[ReturnLine]) -> QuerySet[ReturnLine]:
    """Return lines whose units are taken: every return but rejected ones and those closed before the
    parcel arrived (withdrawn)."""
    return queryset.exclude(request__status=ReturnStatus.REJECTED).exclude(
        request__status=ReturnStatus.CLOSED, request__received_at__isnull=True
    )


def units_in_returns(order: Order, *, exclude_request_id: int | None = None) -> dict[int, int]:
    rows = _holding(ReturnLine.objects.filter(request__order=order))
    if exclude_request_id is not None:
        rows = rows.exclude(request_id=exclude_request_id)
    return {
        row["order_line_id"]: int(row["units"] or 0)
        for row in rows.values("order_line_id").annotate(units=Sum("quantity"))
    }


def units_settled(order: Order, *, exclude_request_id: int | None = None) -> dict[int, int]:
    """Units of each line already refunded (or on their way back to the customer) or credited to an
    exchange by earlier returns."""
    rows = ReturnLine.objects.filter(request__order=order, request__status__in=DECIDED)
    if exclude_request_id is not None:
        rows = rows.exclude(request_id=exclude_request_id)
    return {
        row["order_line_id"]: int(row["units"] or 0)
        for row in rows.values("order_line_id").annotate(units=Sum("refunded_quantity"))
    }


def units_back(order: Order, *, ended_only: bool = False) -> dict[int, int]:
    """Units of each order line that came back: in returns whose parcel was received, less the units
    the inspection found missing. `ended_only`: only returns that are over (settled, or closed after
    receipt) — what the order's own status follows."""
    from .models import ConditionGrade, Inspection

    requests = ReturnRequest.objects.filter(order=order, received_at__isnull=False).exclude(
        status=ReturnStatus.REJECTED
    )
    if ended_only:
        requests = requests.filter(status__in=[*SETTLED, ReturnStatus.CLOSED])
    lines = list(
        ReturnLine.objects.filter(request__in=requests).values_list("id", "order_line_id", "quantity")
    )
    missing = {
        row["line_id"]: int(row["units"] or 0)
        for row in Inspection.objects.filter(line_id__in=[line_id for line_id, _o, _q in lines])
        .filter(grade=ConditionGrade.MISSING)
        .values("line_id")
        .annotate(units=Sum("quantity"))
    }
    back: dict[int, int] = defaultdict(int)
    for line_id, order_line_id, quantity in lines:
        back[order_line_id] += max(quantity - missing.get(line_id, 0), 0)
    return dict(back)


@dataclass(frozen=True)
class ReturnedItem:
    name: str
    sku: str
    quantity: int
    ordered: int


def returned_items(order: Order, *, language: str) -> list[ReturnedItem]:
    """What came back of the order, line by line, for the customer's page (names in their language)."""
    from orderloop.core.i18n import pick_translation

    back = units_back(order)
    if not back:
        return []
    items = []
    for line in order.lines.select_related("variant__product").order_by("position"):
        if back.get(line.pk):
            items.append(
                ReturnedItem(
                    name=pick_translation(line.name, line.variant.product.name_translations, language),
                    sku=line.sku,
                    quantity=min(back[line.pk], line.quantity),
                    ordered=line.quantity,
                )
            )
    return items


def refund_by_transfer(order: Order) -> bool:
    """Whether this order's money goes back by bank transfer (cash on delivery, transfers, the cash part
    of a prepayment) rather than to a card: the refund then needs the customer's IBAN."""
    return order.payment_method.kind != "card"


@dataclass
class ReturnableLine:
    line: OrderLine
    returnable: int
    refusal: str | None  # "not_returnable" or None
    name: str = ""


@dataclass
class Eligibility:
    order: Order
    terms: domain.PolicyTerms
    delivered_on: date | None
    last_day: date | None
    refusal: str | None  # the order as a whole: order_not_delivered / return_window_closed
    lines: list[ReturnableLine] = field(default_factory=list)

    @property
    def can_return(self) -> bool:
        return self.refusal is None and any(r.returnable > 0 and r.refusal is None for r in self.lines)


def eligibility(order: Order, *, today: date | None = None) -> Eligibility:
    terms = policy_terms_for(order.ship_country)
    delivered = delivered_at(order)
    delivered_on = timezone.localdate(delivered) if delivered else None
    today = today or timezone.localdate()
    refusal = domain.request_refusal(
        order_status=order.status, delivered_on=delivered_on, today=today, window_days=terms.window_days
    )
    taken = units_in_returns(order)
    rows = []
    for line in order.lines.select_related("variant__product").order_by("position"):
        category_id = line.variant.product.category_id
        not_returnable = category_id is not None and category_id in terms.non_returnable_category_ids
        rows.append(
            ReturnableLine(
                line=line,
                returnable=max(line.quantity - taken.get(line.pk, 0), 0),
                refusal="not_returnable" if not_returnable else None,
            )
        )
    return Eligibility(
        order=order,
        terms=terms,
        delivered_on=delivered_on,
        last_day=domain.last_return_day(delivered_on, terms.window_days) if delivered_on else None,
        refusal=refusal,
        lines=rows,
    )


def order_for_portal(*, number: str, contact: str) -> Order | None:
    """The order with this number whose email or phone is `contact` (None otherwise: the portal does
    not tell which of the two did not match)."""
    number = (number or "").strip().lstrip("#")
    contact = (contact or "").strip()
    if not number or not contact:
        return None
    order = Order.objects.filter(number=number).first()
    if order is None:
        return None
    if "@" in contact:
        return order if order.customer_email and order.customer_email.lower() == contact.lower() else None
    try:
        phone = normalize_phone(contact, order.ship_country)
    except ValueError:
        return None
    return order if phone == order.customer_phone else None


# --- Refund quotes --------------------------------------------------------------------------------------


def refundable_cap(order: Order) -> Decimal:
    """What the order's payments can still give back: net paid less refunds already on their way."""
    from orderloop.payments import selectors as payments

    sums = payments.payment_sums(order)
    return max(sums.net_paid - payments.refunds_open_amount(order), ZERO)


@dataclass
class LineValue:
    line: ReturnLine
    units: int  # units refunded (inspected and marked for refund)
    amount: Decimal


@dataclass
class Quote:
    quote: domain.RefundQuote
    lines: list[LineValue]


def refund_quote(rma: ReturnRequest, *, deduction: Decimal = ZERO) -> Quote:
    """What this return gives back: the inspected units marked for refund at what the customer paid for
    them, the delivery and the return shipping fee per the policy stored on the return, less a deduction;
    never more than the order's payments can still return."""
    order = rma.order
    terms = domain.PolicyTerms.from_json(rma.policy)
    order_lines = list(order.lines.order_by("position"))
    nets = domain.line_net_amounts(
        [domain.PaidLine(line.pk, line.unit_price_amount, line.quantity) for line in order_lines],
        discount=order.discount_amount,
        currency=order.currency,
    )
    before = units_settled(order, exclude_request_id=rma.pk)
    values: list[LineValue] = []
    goods = ZERO
    this_units: dict[int, int] = defaultdict(int)
    for line in rma.lines.select_related("order_line").prefetch_related("inspections"):
        units = sum(i.quantity for i in line.inspections.all() if i.refund)
        amount = domain.units_amount(
            line_net=nets.get(line.order_line_id, ZERO),
            line_quantity=line.order_line.quantity,
            before=before.get(line.order_line_id, 0),
            quantity=units,
            currency=order.currency,
        )
        this_units[line.order_line_id] += units
        goods += amount
        values.append(LineValue(line=line, units=units, amount=amount))
    fully = all(
        before.get(line.pk, 0) + this_units.get(line.pk, 0) >= line.quantity
        for line in order_lines
        if not line.is_gift
    )
    delivery_done = (
        ReturnRequest.objects.filter(order=order, status__in=DECIDED, delivery_amount__gt=0)
        .exclude(pk=rma.pk)
        .exists()
    )
    delivery = (
        domain.delivery_refund(
            rule=terms.refund_delivery,
            delivery_amount=order.delivery_amount,
            already_refunded=delivery_done,
            order_fully_returned=fully,
        )
        if goods > 0
        else ZERO
    )
    fee = domain.return_shipping_fee(
        terms=terms, reasons=[v.line.reason for v in values if v.units], method=rma.method
    )
    quote = domain.refund_quote(
        currency=order.currency,
        goods=goods,
        delivery=delivery,
        fee=fee if goods > 0 else ZERO,
        deduction=deduction,
        cap=refundable_cap(order),
    )
    return Quote(quote=quote, lines=values)


# --- Returns --------------------------------------------------------------------------------------------


def return_token(number: str) -> str:
    return signing.Signer(salt=RETURN_SALT).sign(number)


def return_from_token(token: str) -> ReturnRequest | None:
    try:
        number = signing.Signer(salt=RETURN_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return ReturnRequest.objects.select_related("order").filter(number=number).first()


def return_url(rma: ReturnRequest) -> str:
    path = reverse("storefront:return_detail", args=[return_token(rma.number)])
    return str(settings.ORDERLOOP.get("SITE_URL", "")).rstrip("/") + path


def return_by_number(number: str) -> ReturnRequest:
    rma = (
        ReturnRequest.objects.select_related("order", "order__payment_method", "warehouse", "exchange_order")
        .filter(number=(number or "").strip())
        .first()
    )
    if rma is None:
        raise ReturnNotFound(details={"number": number})
    return rma


def return_for_code(code: str) -> ReturnRequest | None:
    """The return a scanned code names: its RMA number (any letter case) or its return tracking reference."""
    cleaned = (code or "").strip().replace("\t", "")
    if not cleaned:
        return None
    return (
        ReturnRequest.objects.filter(Q(number__iexact=cleaned) | Q(tracking_ref__iexact=cleaned))
        .order_by("-id")
        .first()
    )


def return_list(
    *, statuses: list[str] | None = None, overdue: bool | None = None, order_number: str = ""
) -> QuerySet[ReturnRequest]:
    rows = ReturnRequest.objects.select_related("order").order_by("-id")
    if statuses:
        rows = rows.filter(status__in=statuses)
    if overdue is True:
        rows = rows.filter(refund_overdue_at__isnull=False)
    elif overdue is False:
        rows = rows.filter(refund_overdue_at__isnull=True)
    if order_number:
        rows = rows.filter(order__number=order_number.strip())
    return rows


def returns_of_order(order: Order) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(order=order).order_by("id")


def refund_rows(rma: ReturnRequest) -> list[Any]:
    from orderloop.payments.models import Refund

    return list(Refund.objects.filter(pk__in=rma.refund_ids or []).select_related("payment").order_by("id"))


def refunds_succeeded(rma: ReturnRequest) -> bool:
    """Every refund row the return asked for has reached the customer."""
    return all(row.status == "succeeded" for row in refund_rows(rma))


def refund_completed(rma: ReturnRequest) -> bool:
    """The money went back: every refund of the return succeeded (an exchange without a refund counts)."""
    if rma.status not in SETTLED:
        return False
    return all(row.status == "succeeded" for row in refund_rows(rma))


# --- The return analytics feed ------------------------------------------------------------------------

SOLD_STATUSES = (
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.RETURN_REQUESTED,
    OrderStatus.PARTIALLY_RETURNED,
    OrderStatus.RETURNED,
)
GROUPS = {
    "variant": ("variant_id", "variant__sku"),
    "product": ("variant__product_id", "variant__product__name"),
    "category": ("variant__product__category_id", "variant__product__category__name"),
}


@dataclass
class ReturnRate:
    key: int | None
    label: str
    units_sold: int
    units_returned: int
    reasons: dict[str, int]

    @property
    def rate(self) -> Decimal:
        """Returned units per delivered unit, 0–1 with 4 decimals."""
        if not self.units_sold:
            return Decimal("0")
        return (Decimal(self.units_returned) / Decimal(self.units_sold)).quantize(Decimal("0.0001"))


def return_rates(
    *, group_by: str = "variant", since: datetime | None = None, until: datetime | None = None
) -> list[ReturnRate]:
    """Return rate and reasons per variant, product or category, for orders placed in [since, until).

    Sold: units of delivered orders (delivered, completed, in or after a return). Returned: units of
    returns that were not rejected nor withdrawn, by reason. Parcels refused at delivery are not sales;
    their units appear under the reason `refused` but not in the rate. Highest rate first."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    key, label = GROUPS[group_by]
    order_filter = Q()
    if since is not None:
        order_filter &= Q(order__created_at__gte=since)
    if until is not None:
        order_filter &= Q(order__created_at__lt=until)
    sold = (
        OrderLine.objects.filter(order_filter, order__status__in=SOLD_STATUSES)
        .values(key, label)
        .annotate(units=Sum("quantity"))
    )
    rows: dict[Any, ReturnRate] = {}
    for row in sold:
        rows[row[key]] = ReturnRate(
            key=row[key],
            label=row[label] or "",
            units_sold=int(row["units"] or 0),
            units_returned=0,
            reasons={},
        )
    return_filter = Q()
    if since is not None:
        return_filter &= Q(request__order__created_at__gte=since)
    if until is not None:
        return_filter &= Q(request__order__created_at__lt=until)
    returned = (
        _holding(ReturnLine.objects.filter(return_filter))
        .values(key, label, "reason")
        .annotate(units=Sum("quantity"))
    )
    for row in returned:
        entry = rows.setdefault(
            row[key],
            ReturnRate(key=row[key], label=row[label] or "", units_sold=0, units_returned=0, reasons={}),
        )
        units = int(row["units"] or 0)
        entry.reasons[row["reason"]] = entry.reasons.get(row["reason"], 0) + units
        if row["reason"] != ReturnReason.REFUSED:
            entry.units_returned += units
    return sorted(rows.values(), key=lambda r: (-r.rate, -r.units_returned, r.label))
