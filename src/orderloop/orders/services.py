"""Every write of the orders area. Each service is one transaction; the status changes only through
`order_transition` (which locks the order row, checks the table in domain.py, writes, and appends an
event)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.catalog.models import Product, Variant
from orderloop.core import events, rawsql
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput, PermissionDeniedError
from orderloop.core.i18n import names_validated
from orderloop.core.money import Money
from orderloop.core.sequences import next_in_sequence
from orderloop.core.statemachine import StateMachine
from orderloop.core.text import at_most_characters, clean_text
from orderloop.inventory.errors import InsufficientStock
from orderloop.inventory.models import Warehouse
from orderloop.inventory.selectors import country_codes
from orderloop.inventory.services import stock_release, stock_reserve_many
from orderloop.promotions import domain as promotions_domain
from orderloop.promotions.services import coupon_claim, coupon_claim_record, coupon_release

from . import delivery, domain, locks, risk
from .allocation import LineDemand, StockOption, available_by_variant, options_from_rows, plan_allocation
from .domain import AddressData, CustomerData, LineData, PreferredDelivery
from .errors import (
    DuplicateExternalRef,
    InvalidTransition,
    MethodNotFound,
    OrderAlreadyOnHold,
    OrderNotFound,
    OrderNotOnHold,
    OrderOnHold,
    ReasonRequired,
    StockNotReserved,
)
from .models import (
    Channel,
    DeliveryMethod,
    EventKind,
    LineAllocation,
    Order,
    OrderCounter,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Priority,
)

Actor = AbstractBaseUser | AnonymousUser | None

COUNTER_NAME = "orders"
MAX_LINES = 100
MAX_LINE_QUANTITY = 10_000
MAX_TEXT = 2000


# The status machine (the table is domain.TRANSITIONS; the targets listed in the order of OrderStatus, as
# a refused move's `allowed` shows them). `_move` below adds the orders' own blockers and side effects.
ORDER_MACHINE = StateMachine(
    subject="order",
    transitions={current: domain.allowed_next(current) for current in domain.TRANSITIONS},
    error=InvalidTransition,
)


def _order_setting(name: str, default: Any) -> Any:
    return settings.ORDERLOOP.get(name, default)


def _new_event(
    order: Order,
    *,
    kind: str,
    actor: Actor,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """An order's event, not yet written."""
    return OrderEvent(
        order=order,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_id=_actor_id(actor),
        reason=clean_text(reason, 255),
        note=clean_text(note, MAX_TEXT),
        data=data or {},
    )


def _event(
    order: Order,
    *,
    kind: str,
    actor: Actor,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    event = _new_event(
        order,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        note=note,
        data=data,
    )
    rawsql.insert([event])  # every status change writes one
    return event


def _record_edit(
    order: Order,
    *,
    actor: Actor,
    changes: list[dict[str, Any]],
    reason: str = "",
    totals: dict[str, dict[str, str]] | None = None,
    backordered: int = 0,
) -> None:
    """The domain event of an edit (`order.edited`), next to its timeline row."""
    events.record(
        "order.edited",
        order.pk,
        {
            "number": order.number,
            "reason": clean_text(reason, 255),
            "changes": changes,
            "currency": order.currency,
            "totals": totals,
            "backordered": backordered,
        },
        actor=actor,
    )


# --- Placing an order ------------------------------------------------------------------------------


class _Intake:
    """Input that passed validation, with the rows it refers to."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.phone = ""
        self.email = ""
        self.language = ""
        self.country = ""
        self.delivery_method: DeliveryMethod | None = None
        self.payment_method: PaymentMethod | None = None
        self.variants: list[Variant] = []
        self.currency = ""

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


# Checked on every placement: Choices.values builds its list anew on each access.
_CHANNELS = frozenset(Channel.values)
_PRIORITIES = frozenset(Priority.values)


def _validate_intake(
    *,
    channel: str,
    customer: CustomerData,
    shipping_address: AddressData,
    delivery_method_code: str,
    payment_method_code: str,
    lines: Sequence[LineData],
    priority: str,
    preferred_delivery: PreferredDelivery | None,
    external_ref: str,
    comment: str,
) -> _Intake:
    intake = _Intake()
    if channel not in _CHANNELS:
        intake.error("channel", _("Unknown channel."))
    if priority not in _PRIORITIES:
        intake.error("priority", _("Unknown priority."))
    if len(external_ref) > 100:
        intake.error("external_ref", at_most_characters(100))
    if len(comment) > MAX_TEXT:
        intake.error("comment", at_most_characters(MAX_TEXT))

    # Address first: the phone is read in the address's country; what the address needs depends on
    # the delivery method (nothing beyond the country for store pickup).
    intake.delivery_method = _active_by_code(DeliveryMethod, delivery_method_code)
    _check_address(
        intake, shipping_address, delivery_kind=intake.delivery_method.kind if intake.delivery_method else ""
    )
    country = intake.country

    if not customer.name.strip():
        intake.error("customer.name", _("This field is required."))
    try:
        intake.phone = domain.normalize_phone(customer.phone, country if country in country_codes() else "")
    except domain.PhoneError as exc:
        intake.error("customer.phone", str(exc))
    email = customer.email.strip()
    if email:
        try:
            validate_email(email)
            intake.email = email
        except DjangoValidationError:
            intake.error("customer.email", _("Not a valid email address."))
    language = (customer.language or settings.LANGUAGE_CODE).strip().lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        intake.error("customer.language", _("Not a language this shop speaks."))
    intake.language = language

    _check_delivery_method(intake, delivery_method_code)
    payment = _active_by_code(PaymentMethod, payment_method_code)
    if payment is None:
        intake.error("payment_method", _("Unknown payment method."))
    intake.payment_method = payment

    if preferred_delivery is not None:
        _check_preferred_delivery(intake, preferred_delivery)

    if not lines:
        intake.error("lines", _("An order needs at least one line."))
    elif len(lines) > MAX_LINES:
        intake.error(
            "lines", ngettext("At most %(n)s line.", "At most %(n)s lines.", MAX_LINES) % {"n": MAX_LINES}
        )
    _check_lines(intake, lines)
    _check_delivery_currency(intake)
    if intake.errors:
        raise InvalidInput(details=intake.errors)
    return intake


# --- Names of delivery and payment methods, per language (the back office's names page) -------------

NAME_MAX = 120


def _method_rename(model: type[MethodT], *, code: str, name: str, name_translations: object) -> MethodT:
    clean_name, translations = names_validated(name, name_translations, max_length=NAME_MAX)
    with transaction.atomic():
        method = model.objects.select_for_update().filter(code=code).first()
        if method is None:
            raise MethodNotFound(details={"code": code})
        method.name, method.name_translations = clean_name, translations
        method.save(update_fields=["name", "name_translations"])
        return method


def delivery_method_rename(
    *, code: str, name: str, name_translations: object, actor: Actor
) -> DeliveryMethod:
    """Set a delivery method's English name and its names in the other languages (empty: English)."""
    return _method_rename(DeliveryMethod, code=code, name=name, name_translations=name_translations)


def payment_method_rename(*, code: str, name: str, name_translations: object, actor: Actor) -> PaymentMethod:
    """Set a payment method's English name and its names in the other languages (empty: English)."""
    return _method_rename(PaymentMethod, code=code, name=name, name_translations=name_translations)


# The checks below are shared by placing (above) and editing (orders/editing.py). Each records its
# errors on `intake` (field → message, the first message per field wins).


# Hand-written reads (core/rawsql.py) for the statements every placement runs.

MethodT = TypeVar("MethodT", DeliveryMethod, PaymentMethod)


def _active_by_code(model: type[MethodT], code: str) -> MethodT | None:
    """The active delivery or payment method with this (unique) code."""
    q = rawsql.q
    found = rawsql.fetch_models(
        model,
        f"SELECT {rawsql.select_list(model, 'm')} FROM {rawsql.table(model)} m "
        f"WHERE m.{q('code')} = %s AND m.{q('is_active')}",
        [code],
    )
    return found[0] if found else None


def _variants_with_products(skus: set[str]) -> list[Variant]:
    if not skus:
        return []
    q = rawsql.q
    return rawsql.fetch_models(
        Variant,
        f"SELECT {rawsql.select_list(Variant, 'v')}, {rawsql.select_list(Product, 'p')} "
        f"FROM {rawsql.table(Variant)} v JOIN {rawsql.table(Product)} p ON p.{q('id')} = v.{q('product_id')} "
        f"WHERE v.{q('sku')} IN ({', '.join(['%s'] * len(skus))})",
        sorted(skus),
        related=["product"],
    )


def _check_address(intake: _Intake, shipping_address: AddressData, *, delivery_kind: str = "") -> None:
    """The country is a known ISO code and the address has the fields that country (and the delivery
    kind) requires."""
    country = shipping_address.country.strip().upper()
    intake.country = country
    if country not in country_codes():
        intake.error("shipping_address.country", _("Not an ISO 3166 two-letter country code."))
    else:
        for name, message in domain.address_errors(shipping_address, delivery_kind=delivery_kind).items():
            intake.error(name, message)


def _check_delivery_method(intake: _Intake, delivery_method_code: str) -> None:
    """An active method offered in `intake.country` (check the address first)."""
    country = intake.country
    delivery = intake.delivery_method
    if delivery is None or delivery.code != delivery_method_code:
        delivery = _active_by_code(DeliveryMethod, delivery_method_code)
    if delivery is None:
        intake.error("delivery_method", _("Unknown delivery method."))
    elif country and not delivery.serves(country):
        intake.error(
            "delivery_method",
            _("This delivery method is not available for %(country)s.") % {"country": country},
        )
    intake.delivery_method = delivery


def _check_lines(intake: _Intake, lines: Sequence[LineData], *, prefix: str = "lines") -> None:
    """Each line names a product for sale, in the order's currency (`intake.currency`, set by the first
    good line when empty), with a quantity in range; good lines' variants go to `intake.variants`."""
    by_sku = {v.sku: v for v in _variants_with_products({line.sku.strip() for line in lines})}
    for index, line in enumerate(lines):
        variant = by_sku.get(line.sku.strip())
        if variant is None:
            intake.error(f"{prefix}.{index}.sku", _("No product has this SKU."))
        elif not (variant.is_active and variant.product.is_active):
            intake.error(f"{prefix}.{index}.sku", _("This product is not for sale."))
        elif intake.currency and variant.currency != intake.currency:
            intake.error(
                f"{prefix}.{index}.sku",
                _("Priced in %(line)s; the order is in %(order)s.")
                % {"line": variant.currency, "order": intake.currency},
            )
        else:
            intake.currency = intake.currency or variant.currency
            intake.variants.append(variant)
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            intake.error(
                f"{prefix}.{index}.quantity", _("Must be between 1 and %(n)s.") % {"n": MAX_LINE_QUANTITY}
            )
        if len(line.note) > 500:
            intake.error(f"{prefix}.{index}.note", _("At most 500 characters."))


def _check_preferred_delivery(intake: _Intake, preferred: PreferredDelivery) -> None:
    """A date not in the past, and a time window only with a date and in the right order."""
    if preferred.date is not None and preferred.date < timezone.localdate():
        intake.error("preferred_delivery.date", _("The date is in the past."))
    if (preferred.time_from or preferred.time_to) and preferred.date is None:
        intake.error("preferred_delivery.date", _("A time window needs a date."))
    if (
        preferred.time_from is not None
        and preferred.time_to is not None
        and preferred.time_from >= preferred.time_to
    ):
        intake.error("preferred_delivery.time_to", _("Must be later than the start of the window."))


def _check_delivery_currency(intake: _Intake) -> None:
    delivery = intake.delivery_method
    if delivery is not None and intake.currency and delivery.currency != intake.currency:
        intake.error(
            "delivery_method",
            _("Priced in %(method)s; the order is in %(order)s.")
            % {"method": delivery.currency, "order": intake.currency},
        )


# Order numbers are unique and increasing, not gapless (invoices and credit notes are the gapless ones):
# on PostgreSQL they come from this sequence (migration 0010), taken by the order's INSERT itself, so no
# row is locked until commit; a rolled-back placement leaves a gap. SQLite keeps the counter row
# (core/sequences.py), which costs nothing there: its writers queue on the database lock anyway.
ORDER_NUMBER_SEQUENCE = "orders_order_number_seq"


def _insert_order(order: Order) -> None:
    """Write the new order and give it its number."""
    if connection.vendor == "postgresql":
        rawsql.insert(
            [order],
            expressions={"number": f"CAST(nextval('{ORDER_NUMBER_SEQUENCE}') AS varchar)"},
            returning=["number"],
        )
        return
    start = int(_order_setting("ORDER_NUMBER_START", 1001))
    order.number = str(next_in_sequence(OrderCounter, key_field="name", key=COUNTER_NAME, start=start))
    rawsql.insert([order])


def _reference(number: str) -> str:
    return f"order {number}"


def order_place(
    *,
    channel: str,
    customer: CustomerData,
    shipping_address: AddressData,
    delivery_method_code: str,
    payment_method_code: str,
    lines: Sequence[LineData],
    priority: str = Priority.NORMAL,
    preferred_delivery: PreferredDelivery | None = None,
    comment: str = "",
    external_ref: str = "",
    coupon_code: str = "",
    thank_you_note: bool | None = None,
    free_delivery: bool = False,
    actor: Actor,
    savepoint: bool = True,
) -> Order:
    """Validate, reserve stock and write the order — all or nothing.

    Raises InvalidInput (422, details name the field; CouponInvalid for a coupon that cannot be used),
    DuplicateExternalRef (409) or InsufficientStock (409, details list the short lines) and then nothing
    is written. Lines of products that allow backorders take what is there; the rest is backordered and
    the order waits in `awaiting_stock`.

    Inside the caller's transaction the order is written in a savepoint, so a caller can go on after a
    failed placement; `savepoint=False` is for a caller whose transaction is rolled back whatever fails
    (the API's idempotent placement, core/idempotency.py), and saves the SAVEPOINT and RELEASE round trips.

    Order rules: a coupon takes its discount off the goods; above the configured value a free gift line
    is added (when the gift is in stock); the thank-you note flag follows `THANK_YOU_NOTE` unless given;
    the promised delivery date comes from the reserving warehouses' cut-off and handling days and the
    delivery method's transit days. Placing also issues the invoice of a bank-transfer order and records
    `order.placed`, in this transaction (the customer's confirmation email reacts to that event).
    `free_delivery`: the delivery method is not charged (a replacement the shop sends at its own cost,
    e.g. an exchange under a free-returns policy).
    """
    external_ref = clean_text(external_ref, 1000)
    comment = (comment or "").replace("\x00", "").strip()
    intake = _validate_intake(
        channel=channel,
        customer=customer,
        shipping_address=shipping_address,
        delivery_method_code=delivery_method_code,
        payment_method_code=payment_method_code,
        lines=lines,
        priority=priority,
        preferred_delivery=preferred_delivery,
        external_ref=external_ref,
        comment=comment,
    )
    assert intake.delivery_method is not None and intake.payment_method is not None
    priority = domain.priority_for(delivery_kind=intake.delivery_method.kind, requested=priority)
    if external_ref and Order.objects.filter(channel=channel, external_ref=external_ref).exists():
        raise _duplicate(channel, external_ref)

    variants = intake.variants
    currency = intake.currency
    subtotal = Money.of(0, currency)
    for variant, line in zip(variants, lines, strict=True):
        subtotal = subtotal + variant.price * line.quantity
    delivery_price = Money.of(0 if free_delivery else intake.delivery_method.price_amount, currency)
    strategy = str(_order_setting("ALLOCATION_STRATEGY", "priority"))
    gift = gift_candidate(channel, currency, ordered={v.pk for v in variants})

    with transaction.atomic(savepoint=savepoint):
        stock_rows = locks.stock_rows_for_allocation(
            [*(v.pk for v in variants), *([gift.pk] if gift else [])]
        )
        # After the stock locks (the lock order of orders/locks.py): the coupon's row.
        claim = (
            coupon_claim(code=coupon_code, subtotal=subtotal, email=intake.email, phone=intake.phone)
            if coupon_code.strip()
            else None
        )
        discount = claim.discount if claim else Money.of(0, currency)
        goods_total = subtotal - discount
        options = options_from_rows(stock_rows)
        demands = [
            LineDemand(variant_id=v.pk, quantity=line.quantity)
            for v, line in zip(variants, lines, strict=True)
        ]
        plans = plan_allocation(demands, options, strategy)
        available = available_by_variant(options)
        gift_plan = _gift_plan(gift, goods_total, plans, options, strategy)
        # Every plan whose units are reserved: the customer's lines, then the gift's.
        all_plans = [*plans, gift_plan] if gift_plan is not None else plans
        short = [
            {
                "index": index,
                "sku": variant.sku,
                "requested": line.quantity,
                "available": available.get(variant.pk, 0),
            }
            for index, (variant, line, plan) in enumerate(zip(variants, lines, plans, strict=True))
            if plan.short > 0 and not variant.product.allow_backorder
        ]
        if short:
            raise InsufficientStock(details={"lines": short})
        backordered = any(plan.short > 0 for plan in plans)
        status = OrderStatus.AWAITING_STOCK if backordered else OrderStatus.NEW

        now = timezone.now()
        # After the stock locks: two identical orders (same SKUs) queue here, so the second sees the
        # first and is flagged as its duplicate.
        basket = [(v.sku, line.quantity) for v, line in zip(variants, lines, strict=True)]
        risk_flags = risk.risk_assess(
            payment_kind=intake.payment_method.kind,
            phone=intake.phone,
            email=intake.email,
            ship_country=intake.country,
            currency=currency,
            total=(goods_total + delivery_price).amount,
            lines=basket,
            now=now,
        )
        warehouse_of = {row.pk: row.warehouse for row in stock_rows}
        promised = _promised_date(
            now,
            [warehouse_of[stock_id] for plan in all_plans for stock_id, _quantity in plan.takes],
            intake.delivery_method.transit_days,
            backordered=backordered,
        )
        preferred = preferred_delivery or PreferredDelivery()
        try:
            # A savepoint only where the insert can fail on a duplicate external reference.
            with transaction.atomic() if external_ref else contextlib.nullcontext():
                order = Order(
                    channel=channel,
                    external_ref=external_ref,
                    status=status,
                    status_changed_at=now,
                    priority=priority,
                    customer_email=intake.email,
                    customer_phone=intake.phone,
                    customer_name=clean_text(customer.name, 200),
                    customer_language=intake.language,
                    ship_country=intake.country,
                    ship_region=clean_text(shipping_address.region, 100),
                    ship_city=clean_text(shipping_address.city, 100),
                    ship_postal_code=clean_text(shipping_address.postal_code, 20),
                    ship_line1=clean_text(shipping_address.line1, 200),
                    ship_line2=clean_text(shipping_address.line2, 200),
                    delivery_method=intake.delivery_method,
                    payment_method=intake.payment_method,
                    preferred_date=preferred.date,
                    preferred_time_from=preferred.time_from,
                    preferred_time_to=preferred.time_to,
                    comment=comment,
                    promised_date=promised,
                    thank_you_note=_thank_you_note(thank_you_note, intake),
                    created_by_id=_actor_id(actor),
                    currency=currency,
                    subtotal_amount=subtotal.amount,
                    discount_amount=discount.amount,
                    coupon_code=claim.code if claim else "",
                    delivery_amount=delivery_price.amount,
                    total_amount=(goods_total + delivery_price).amount,
                    risk_flags=[flag.as_json() for flag in risk_flags],
                    basket_key=risk.basket_key(risk.basket_of(basket)),
                )
                _insert_order(order)
        except IntegrityError:
            if external_ref and Order.objects.filter(channel=channel, external_ref=external_ref).exists():
                raise _duplicate(channel, external_ref) from None
            raise
        if claim is not None:
            coupon_claim_record(claim, order=order)
        line_rows = [
            OrderLine(
                order=order,
                position=index + 1,
                variant=variant,
                sku=variant.sku,
                name=variant.product.name[:200],
                attributes=variant.attributes,
                quantity=line.quantity,
                quantity_backordered=plan.short,
                unit_price_amount=variant.price_amount,
                note=clean_text(line.note, 500),
            )
            for index, (variant, line, plan) in enumerate(zip(variants, lines, plans, strict=True))
        ]
        if gift is not None and gift_plan is not None:
            line_rows.append(
                OrderLine(
                    order=order,
                    position=len(line_rows) + 1,
                    variant=gift,
                    sku=gift.sku,
                    name=gift.product.name[:200],
                    attributes=gift.attributes,
                    quantity=gift_plan.quantity,
                    unit_price_amount=Decimal("0"),
                    is_gift=True,
                )
            )
        order_lines = rawsql.insert(line_rows)
        takes = sorted(
            (stock_id, index, quantity)
            for index, plan in enumerate(all_plans)
            for stock_id, quantity in plan.takes
        )
        allocations = rawsql.insert(
            [
                LineAllocation(
                    line=order_lines[index],
                    stock_id=stock_id,
                    warehouse=warehouse_of[stock_id],
                    quantity=quantity,
                )
                for stock_id, index, quantity in takes
            ]
        )
        # What was written, for the caller's answer (the API shapes it without reading it back).
        order.placed_lines = [  # type: ignore[attr-defined]
            (order_line, [a for a in allocations if a.line is order_line]) for order_line in order_lines
        ]
        # The stock rows are locked (orders/locks.py) and the plan fits them, so the reservation cannot
        # fail now; it still refuses rather than oversell.
        stock_reserve_many(
            [(stock_id, quantity) for stock_id, _index, quantity in takes],
            actor=actor,
            reference=_reference(order.number),
        )
        # The placement's events, written here and only here (one INSERT).
        placed_data = {
            "channel": channel,
            "strategy": strategy,
            **({"coupon": claim.code, "discount": str(discount.amount)} if claim else {}),
            **({"gift": gift.sku} if gift is not None and gift_plan is not None else {}),
            "backordered": [
                {"sku": line.sku, "quantity": line.quantity_backordered}
                for line in order_lines
                if line.quantity_backordered
            ],
        }
        rawsql.insert(
            [
                _new_event(order, kind=EventKind.PLACED, actor=actor, to_status=status, data=placed_data),
                *(
                    _new_event(
                        order, kind=EventKind.RISK_FLAGGED, actor=None, reason=flag.code, data=flag.as_json()
                    )
                    for flag in risk_flags
                ),
            ]
        )
        _issue_invoice_on_placement(order, actor=actor)
        # --- The domain events of the placement: ONE call, last in the transaction (issue 18) ---
        events.record_many(_placement_events(order, order_lines, risk_flags, actor=actor))
    return order


def _placement_events(
    order: Order, order_lines: Sequence[OrderLine], risk_flags: Sequence[Any], *, actor: Actor
) -> list[events.NewEvent]:
    """`order.placed` (the order's first event), then `order.risk_flagged` when placement flagged it."""
    # Nobody signed in placed a web order: the customer did, in the shop.
    kind = (
        "customer" if order.channel == Channel.WEB and not getattr(actor, "is_authenticated", False) else None
    )
    currency = order.currency
    placed = events.NewEvent(
        type="order.placed",
        subject_id=order.pk,
        sequence=1,
        actor=actor,
        actor_kind=kind,
        data={
            "number": order.number,
            "channel": order.channel,
            "status": order.status,
            "priority": order.priority,
            "customer_email": order.customer_email,
            "customer_phone": order.customer_phone,
            "language": order.customer_language,
            "delivery_method": order.delivery_method.code,
            "payment_method": order.payment_method.code,
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": events.money(line.unit_price_amount, currency),
                    "backordered": line.quantity_backordered,
                    "is_gift": line.is_gift,
                }
                for line in order_lines
            ],
            "total": events.money(order.total_amount, currency),
            "promised_date": order.promised_date.isoformat() if order.promised_date else None,
            "coupon": order.coupon_code,
        },
    )
    if not risk_flags:
        return [placed]
    flagged = events.NewEvent(
        type="order.risk_flagged",
        subject_id=order.pk,
        sequence=2,
        data={"number": order.number, "flags": [flag.as_json() for flag in risk_flags]},
    )
    return [placed, flagged]


def gift_candidate(channel: str, currency: str, *, ordered: set[int]) -> Variant | None:
    """The free-gift variant when the rule is on for this channel and currency (`FREE_GIFT`)."""
    rule = _order_setting("FREE_GIFT", None) or {}
    if not rule.get("sku") or channel not in rule.get("channels", [Channel.WEB]):
        return None
    if promotions_domain.gift_threshold(rule.get("min_total"), currency) is None:
        return None
    gift = Variant.objects.select_related("product").filter(sku=rule["sku"], is_active=True).first()
    if gift is None or gift.pk in ordered or gift.currency != currency:
        return None
    return gift


def _gift_plan(
    gift: Variant | None,
    goods_total: Money,
    plans: list[Any],
    options: list[StockOption],
    strategy: str,
) -> Any:
    """Where the gift's unit comes from, or None: below the threshold, or the gift is out of stock (a
    missing gift never blocks an order)."""
    if gift is None:
        return None
    rule = _order_setting("FREE_GIFT", None) or {}
    if not promotions_domain.gift_applies(thresholds=rule.get("min_total"), goods_total=goods_total):
        return None
    # Plan the gift after the customer's lines: take what their plan left over.
    taken: dict[int, int] = {}
    for plan in plans:
        for stock_id, quantity in plan.takes:
            taken[stock_id] = taken.get(stock_id, 0) + quantity
    left = [
        StockOption(
            stock_id=o.stock_id,
            variant_id=o.variant_id,
            warehouse_id=o.warehouse_id,
            warehouse_priority=o.warehouse_priority,
            available=o.available - taken.get(o.stock_id, 0),
        )
        for o in options
        if o.variant_id == gift.pk
    ]
    (plan,) = plan_allocation([LineDemand(variant_id=gift.pk, quantity=1)], left, strategy)
    return plan if plan.short == 0 else None


def _thank_you_note(requested: bool | None, intake: _Intake) -> bool:
    """`THANK_YOU_NOTE`: "all" orders (default), "first_order" of a customer, or "none"."""
    if requested is not None:
        return requested
    rule = str(_order_setting("THANK_YOU_NOTE", "all"))
    if rule == "first_order":
        earlier = Order.objects.filter(customer_phone=intake.phone).exclude(status=OrderStatus.CANCELLED)
        return not earlier.exists()
    return rule == "all"


def shop_calendar() -> delivery.Calendar:
    return delivery.calendar_from_settings(
        _order_setting("WORKING_DAYS", None), _order_setting("HOLIDAYS", None)
    )


def promised_delivery_date(*, warehouses: Iterable[Any], transit_days: int, now: Any = None) -> Any:
    """The date to promise for stock handed over by these warehouses (orders/delivery.py), in the shop's
    time and calendar; None when no warehouse ships anything."""
    return delivery.expected_delivery_date(
        now=timezone.localtime(now),
        warehouses=[
            delivery.WarehouseTiming(cutoff=w.cutoff_time, handling_days=w.handling_days)
            for w in {w.pk: w for w in warehouses}.values()
        ],
        transit_days=transit_days,
        calendar=shop_calendar(),
    )


def _promised_date(now: Any, warehouses: Sequence[Any], transit_days: int, *, backordered: bool) -> Any:
    """The expected delivery date; none while part of the order waits for stock."""
    if backordered:
        return None
    return promised_delivery_date(warehouses=warehouses, transit_days=transit_days, now=now)


def promise_inputs(order: Order) -> tuple[tuple[int, ...], bool, int]:
    """What the stored promised date was worked out from: the warehouses reserving the order's units,
    whether any unit waits for stock, and the delivery method's transit days."""
    warehouses = LineAllocation.objects.filter(line__order=order).values_list("warehouse_id", flat=True)
    backordered = order.lines.filter(quantity_backordered__gt=0).exists()
    return tuple(sorted(set(warehouses))), backordered, order.delivery_method.transit_days


def order_promise_refresh(
    order: Order, *, before: tuple[tuple[int, ...], bool, int]
) -> dict[str, Any] | None:
    """Work the promised date out again, from now, when its inputs (`promise_inputs`) changed since
    `before`: an edit that moves the units to another warehouse, backorders them, or changes the delivery
    method changes the day every place shows (card, label, courier route, the customer's page — they all
    read it through orders/promise.py). Saves the order; returns {"from", "to"} when the date moved."""
    after = promise_inputs(order)
    if after == before:
        return None
    warehouse_ids, backordered, transit_days = after
    promised = _promised_date(
        timezone.now(),
        list(Warehouse.objects.filter(pk__in=warehouse_ids)),
        transit_days,
        backordered=backordered,
    )
    if promised == order.promised_date:
        return None
    change = {
        "from": order.promised_date.isoformat() if order.promised_date else None,
        "to": promised.isoformat() if promised else None,
    }
    order.promised_date = promised
    order.save(update_fields=["promised_date", "updated_at"])
    return change


def _issue_invoice_on_placement(order: Order, *, actor: Actor) -> None:
    """In the placing transaction: the invoice a bank transfer needs.

    The invoice is issued at once for channels where the customer placed the order alone
    (`INVOICE_ON_PLACEMENT_CHANNELS`, default the web shop): they pay from it straight away. Orders
    taken by staff get theirs when the manager has agreed the details (payments.invoice_issue)."""
    from orderloop.payments.services import INVOICED_KINDS, invoice_issue

    invoice_channels = _order_setting("INVOICE_ON_PLACEMENT_CHANNELS", [Channel.WEB])
    if (
        order.channel in invoice_channels
        and order.payment_method.kind in INVOICED_KINDS
        and order.total_amount > 0
    ):
        invoice_issue(order_id=order.pk, actor=actor)


def _duplicate(channel: str, external_ref: str) -> DuplicateExternalRef:
    existing = Order.objects.filter(channel=channel, external_ref=external_ref).values_list(
        "number", flat=True
    )
    return DuplicateExternalRef(
        details={"channel": channel, "external_ref": external_ref, "number": existing.first()}
    )


# --- Status changes ----------------------------------------------------------------------------------


def _locked(order_id: int) -> Order:
    order = locks.order_for_update(order_id)
    if order is None:
        raise OrderNotFound()
    return order


def _release_reservations(order: Order, *, actor: Actor) -> int:
    """Give back every unit this order holds, in ascending stock id order; returns the units released."""
    allocations = list(LineAllocation.objects.filter(line__order=order).order_by("stock_id", "id"))
    for allocation in allocations:
        stock_release(
            stock_id=allocation.stock_id,
            quantity=allocation.quantity,
            actor=actor,
            reference=_reference(order.number),
        )
    LineAllocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    return sum(a.quantity for a in allocations)


def _move(
    order: Order,
    to: str,
    *,
    actor: Actor,
    reason: str = "",
    note: str = "",
    event_data: dict[str, Any] | None = None,
) -> Order:
    """Move a locked order: check the table and the blockers, apply side effects, save, then the
    timeline row and the domain event `order.<to>` (ORDER_MACHINE.move)."""
    current = order.status
    ORDER_MACHINE.check(current, to)
    backordered = (
        current == OrderStatus.AWAITING_STOCK and order.lines.filter(quantity_backordered__gt=0).exists()
    )
    blocker = domain.transition_blocker(
        current=current, to=to, on_hold=order.on_hold, backordered=backordered
    )
    if blocker == "order_on_hold":
        raise OrderOnHold(details={"from": current, "to": to, "hold_reason": order.hold_reason})
    if blocker == "stock_not_reserved":
        raise StockNotReserved(details={"from": current, "to": to})
    if risk.blocks_transition(to=to, flags=order.risk_flags, reviewed_at=order.risk_reviewed_at):
        raise risk.RiskReviewRequired(
            details={"from": current, "to": to, "flags": [flag.get("code") for flag in order.risk_flags]}
        )
    data: dict[str, Any] = {}
    if to == OrderStatus.CANCELLED:
        if not reason.strip():
            raise ReasonRequired(details={"reason": _("A reason is required to cancel an order.")})
        data["released_units"] = _release_reservations(order, actor=actor)
        if order.coupon_code and coupon_release(order_id=order.pk):
            data["coupon_released"] = order.coupon_code
    order.status_changed_at = timezone.now()
    fields = ["status_changed_at", "updated_at"]
    if order.sla_breached_at is not None or order.sla_rule:
        # The SLA clock is per status: leaving the status ends the breach (orders/sla.py).
        data["sla_breach_cleared"] = order.sla_rule
        order.sla_breached_at = None
        order.sla_rule = ""
        fields += ["sla_breached_at", "sla_rule"]
    ORDER_MACHINE.move(
        order,
        to,
        actor=actor,
        update_fields=fields,
        data={
            "number": order.number,
            "reason": clean_text(reason, 255),
            **{key: value for key, value in data.items() if key != "sla_breach_cleared"},  # timeline only
            **(event_data or {}),
        },
    )
    _event(
        order,
        kind=EventKind.STATUS_CHANGE,
        actor=actor,
        from_status=current,
        to_status=to,
        reason=reason,
        note=note,
        data=data,
    )
    return order


def order_transition(*, order_id: int, to: str, actor: Actor, reason: str = "", note: str = "") -> Order:
    """The only way an order's status changes (payments, fulfilment, shipping and returns call it too).

    Raises InvalidTransition (409) when the table does not allow the move, OrderOnHold (409) for a held
    order going to the warehouse, StockNotReserved (409) for an order that still waits for stock.
    """
    with transaction.atomic():
        return _move(_locked(order_id), to, actor=actor, reason=reason, note=note)


def order_confirm(*, order_id: int, actor: Actor, note: str = "") -> Order:
    """Data checked with the customer. A prepaid payment method then waits for the money."""
    with transaction.atomic():
        order = _move(_locked(order_id), OrderStatus.CONFIRMED, actor=actor, note=note)
        if order.payment_method.is_prepaid:
            _move(order, OrderStatus.AWAITING_PAYMENT, actor=actor, reason="prepaid_payment_method")
        return order


def order_cancel(
    *, order_id: int, actor: Actor, reason: str, note: str = "", payment_timeout_hours: int | None = None
) -> Order:
    """Cancel before shipping: every reservation goes back to stock. A reason is required.
    `payment_timeout_hours`: the order expired unpaid after this long (orders/expiry.py; the event says
    it, so the customer's email can)."""
    if not (reason or "").strip():
        raise ReasonRequired(details={"reason": _("A reason is required to cancel an order.")})
    with transaction.atomic():
        return _move(
            _locked(order_id),
            OrderStatus.CANCELLED,
            actor=actor,
            reason=reason,
            note=note,
            event_data=None
            if payment_timeout_hours is None
            else {"payment_timeout_hours": payment_timeout_hours},
        )


def order_hold(*, order_id: int, actor: Actor, reason: str = "") -> Order:
    """Stop the order from going to the warehouse until released (e.g. a suspicious order)."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.on_hold:
            raise OrderAlreadyOnHold()
        if order.status in domain.FINAL:
            raise InvalidTransition(
                _("A closed order cannot be put on hold."), details={"from": order.status, "to": "hold"}
            )
        order.on_hold = True
        order.hold_reason = clean_text(reason, 255)
        order.save(update_fields=["on_hold", "hold_reason", "updated_at"])
        _event(order, kind=EventKind.HOLD, actor=actor, reason=reason)
        events.record(
            "order.held", order.pk, {"number": order.number, "reason": order.hold_reason}, actor=actor
        )
        return order


def order_release_hold(*, order_id: int, actor: Actor, note: str = "") -> Order:
    with transaction.atomic():
        order = _locked(order_id)
        if not order.on_hold:
            raise OrderNotOnHold()
        order.on_hold = False
        order.hold_reason = ""
        order.save(update_fields=["on_hold", "hold_reason", "updated_at"])
        _event(order, kind=EventKind.RELEASE, actor=actor, note=note)
        events.record("order.released", order.pk, {"number": order.number}, actor=actor)
        return order


def order_assign_manager(*, order_id: int, manager_username: str | None, actor: Actor) -> Order:
    """Make a staff user who may handle orders responsible for this one (None: nobody)."""
    manager = None
    if manager_username:
        manager = get_user_model().objects.filter(username=manager_username, is_active=True).first()
        if manager is None or not manager.has_perm("orders.change_order"):
            raise InvalidInput(
                details={"username": _("No active staff user with this name may handle orders.")}
            )
    with transaction.atomic():
        order = _locked(order_id)
        before = order.manager.get_username() if order.manager else None
        order.manager = manager
        order.save(update_fields=["manager", "updated_at"])
        change = {"from": before, "to": manager.get_username() if manager else None}
        _event(order, kind=EventKind.ASSIGNMENT, actor=actor, data=change)
        events.record("order.assigned", order.pk, {"number": order.number, **change}, actor=actor)
        return order


def order_review_risk(*, order_id: int, actor: Actor, note: str = "") -> Order:
    """A manager looked at the order's risk flags and lets it go to the warehouse.

    Raises PermissionDeniedError (403) unless the actor may review risk (risk.REVIEW_PERMISSION),
    RiskNotFlagged (409) for an order without flags, RiskAlreadyReviewed (409) when done before.
    """
    has_perm = getattr(actor, "has_perm", None)
    if (
        actor is None
        or not actor.is_authenticated
        or has_perm is None
        or not has_perm(risk.REVIEW_PERMISSION)
    ):
        raise PermissionDeniedError(details={"required": [risk.REVIEW_PERMISSION]})
    with transaction.atomic():
        order = _locked(order_id)
        if not order.risk_flags:
            raise risk.RiskNotFlagged()
        if order.risk_reviewed_at is not None:
            raise risk.RiskAlreadyReviewed(
                details={
                    "reviewed_at": order.risk_reviewed_at.isoformat(),
                    "reviewed_by": order.risk_reviewed_by.get_username() if order.risk_reviewed_by else None,
                }
            )
        order.risk_reviewed_at = timezone.now()
        order.risk_reviewed_by_id = _actor_id(actor)
        order.save(update_fields=["risk_reviewed_at", "risk_reviewed_by", "updated_at"])
        flags = [flag.get("code") for flag in order.risk_flags]
        _event(order, kind=EventKind.RISK_REVIEWED, actor=actor, note=note, data={"flags": flags})
        events.record("order.risk_reviewed", order.pk, {"number": order.number, "flags": flags}, actor=actor)
        return order


def order_add_note(*, order_id: int, actor: Actor, text: str) -> OrderEvent:
    """An internal note on the timeline (never shown to the customer)."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise InvalidInput(details={"text": _("This field is required.")})
    if len(text) > MAX_TEXT:
        raise InvalidInput(details={"text": at_most_characters(MAX_TEXT)})
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound()
    with transaction.atomic():
        return _event(order, kind=EventKind.NOTE, actor=actor, note=text)
