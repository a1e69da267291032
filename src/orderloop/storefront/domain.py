"""Pure rules of the storefront: how an order's status reads to the customer, and which of the
order's events the customer sees. No ORM here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from babel.dates import format_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.core.money import babel_locale
from orderloop.orders.delivery import Calendar
from orderloop.orders.models import OrderStatus

S = OrderStatus


@dataclass(frozen=True)
class CustomerStatus:
    title: str
    explanation: str
    next_step: str


def customer_status(status: str, *, payment_kind: str, paid: bool, delivery_kind: str) -> CustomerStatus:
    """The status in the customer's words: where the order is and what happens next."""
    pickup = delivery_kind in {"pickup_point", "store_pickup"}
    if status == S.NEW:
        if payment_kind in {"card", "prepayment"} and not paid:
            return CustomerStatus(
                _("Waiting for your payment"),
                _("We have your order and have put the items aside for you."),
                _("Pay for the order to send it on its way."),
            )
        if payment_kind == "bank_transfer" and not paid:
            return CustomerStatus(
                _("Waiting for your bank transfer"),
                _("We have your order and have put the items aside for you."),
                _("Transfer the amount with the payment reference; we start as soon as it arrives."),
            )
        return CustomerStatus(
            _("Order received"),
            _("We have your order and have put the items aside for you."),
            _("We check the details and confirm the order, usually within the hour on working days."),
        )
    if status == S.CONFIRMED:
        return CustomerStatus(
            _("Order confirmed"),
            _("We checked the details of your order."),
            _("The warehouse picks and packs it next."),
        )
    if status == S.AWAITING_PAYMENT:
        return CustomerStatus(
            _("Waiting for your payment"),
            _("Your order is confirmed and waits for the payment."),
            _("Pay for the order to send it on its way; unpaid orders are cancelled after a few days."),
        )
    if status == S.PARTIALLY_PAID:
        return CustomerStatus(
            _("Prepayment received"),
            _("Thank you: your prepayment has arrived."),
            _("The warehouse packs the order; you pay the rest on delivery."),
        )
    if status == S.PAID:
        return CustomerStatus(
            _("Payment received"),
            _("Thank you: your payment has arrived."),
            _("The warehouse picks and packs your order next."),
        )
    if status == S.AWAITING_STOCK:
        return CustomerStatus(
            _("Waiting for stock"),
            _("Some items are on their way to our warehouse."),
            _("We send the order as soon as everything has arrived."),
        )
    if status == S.PICKING:
        return CustomerStatus(
            _("Being packed"),
            _("The warehouse is collecting your items."),
            _("Your parcel is handed to the carrier next."),
        )
    if status == S.PACKED:
        return CustomerStatus(
            _("Packed"),
            _("Your parcel is packed."),
            _("It is handed to the carrier next."),
        )
    if status in {S.SHIPPED, S.IN_TRANSIT}:
        return CustomerStatus(
            _("On its way"),
            _("Your parcel is with the carrier."),
            _("Follow the parcel with the tracking link.")
            if not pickup
            else _("We tell you when it is ready for pickup."),
        )
    if status == S.READY_FOR_PICKUP:
        return CustomerStatus(
            _("Ready for pickup"),
            _("Your parcel is waiting for you."),
            _("Collect it with your order number and your phone."),
        )
    if status == S.DELIVERED:
        return CustomerStatus(
            _("Delivered"),
            _("Your order has been delivered. Enjoy!"),
            _("Something not right? You can return items within the return window."),
        )
    if status == S.COMPLETED:
        return CustomerStatus(
            _("Completed"), _("This order is complete."), _("Thank you for shopping with us.")
        )
    if status == S.RETURN_REQUESTED:
        return CustomerStatus(
            _("Return requested"),
            _("We have your return request."),
            # True at every step of the return (sending, checking, refunding), not only the first.
            _("Each return below shows where it is, and we email you at every step."),
        )
    if status == S.PARTIALLY_RETURNED:
        return CustomerStatus(
            _("Partially returned"),
            _("Some of your items came back to us and your return has been processed."),
            _("You can still return the other items within the return window."),
        )
    if status == S.RETURNED:
        return CustomerStatus(
            _("Returned"),
            _("Your return has been processed."),
            _("The refund goes back to the way you paid."),
        )
    if status == S.REFUSED:
        return CustomerStatus(
            _("Not accepted"),
            _("The parcel was not accepted at delivery and goes back to us."),
            _("Contact us if this was a mistake."),
        )
    return CustomerStatus(
        _("Cancelled"),
        _("This order has been cancelled."),
        _("Any payment made is refunded to the way you paid."),
    )


def cancellation_text(reason: str) -> str:
    if reason == "payment_timeout":
        return _("Cancelled: the payment did not arrive in time")
    return _("Cancelled")


# The status changes a customer sees on the timeline, in their words.
def timeline_label(to_status: str, reason: str = "") -> str | None:
    labels = {
        S.CONFIRMED: _("Order confirmed"),
        S.PARTIALLY_PAID: _("Prepayment received"),
        S.PAID: _("Payment received"),
        S.AWAITING_STOCK: _("Waiting for stock"),
        S.PICKING: _("Being packed"),
        S.PACKED: _("Packed"),
        S.SHIPPED: _("Handed to the carrier"),
        S.IN_TRANSIT: _("On its way"),
        S.READY_FOR_PICKUP: _("Ready for pickup"),
        S.DELIVERED: _("Delivered"),
        S.COMPLETED: _("Completed"),
        S.RETURN_REQUESTED: _("Return requested"),
        S.PARTIALLY_RETURNED: _("Partially returned"),
        S.RETURNED: _("Returned"),
        S.REFUSED: _("Not accepted at delivery"),
    }
    if to_status == S.CANCELLED:
        return cancellation_text(reason)
    return labels.get(to_status)  # type: ignore[call-overload]


# --- Choosing a variant by its attributes ------------------------------------------------------------


@dataclass(frozen=True)
class StockedCombination:
    """One variant as the product page's pickers see it: its attributes and what can be ordered."""

    attributes: dict[str, str]
    available: int
    orderable: bool


@dataclass(frozen=True)
class PickerOption:
    value: str
    # False: no variant has this value together with the values chosen on the pickers before this one.
    enabled: bool
    selected: bool
    # The variant (index into the combinations) choosing this option leads to.
    target: int
    # Units that can be ordered now of the variants this option stands for, and whether any of them can
    # be ordered at all (backorders).
    available: int
    orderable: bool


@dataclass(frozen=True)
class AttributePicker:
    name: str
    options: list[PickerOption]


def picker_axes(combinations: list[StockedCombination]) -> list[str] | None:
    """The attribute names to pick by, in the order first seen; None when the variants cannot be told
    apart by them (an attribute missing on some variant, two variants with the same values, or no
    attributes at all): the page then lists the variants one by one."""
    axes: list[str] = []
    for combination in combinations:
        for name in combination.attributes:
            if name not in axes:
                axes.append(name)
    if not axes or any(set(c.attributes) != set(axes) for c in combinations):
        return None
    keys = {tuple(str(c.attributes[name]) for name in axes) for c in combinations}
    return axes if len(keys) == len(combinations) else None


def resolve_combination(
    axes: list[str], combinations: list[StockedCombination], wanted: dict[str, str]
) -> int:
    """The variant a choice of values names. The pickers are read in order: a value that does not exist
    with the values chosen before it is replaced by the first value there that can be ordered (else the
    first value there), so a choice always lands on a variant that exists."""
    candidates = list(range(len(combinations)))
    for name in axes:
        values = [str(combinations[index].attributes[name]) for index in candidates]
        keep = wanted.get(name)
        if keep not in values:
            keep = next(
                (str(combinations[i].attributes[name]) for i in candidates if combinations[i].orderable),
                values[0],
            )
        candidates = [index for index in candidates if str(combinations[index].attributes[name]) == keep]
    return candidates[0]


def attribute_pickers(
    axes: list[str], combinations: list[StockedCombination], selected: int
) -> list[AttributePicker]:
    """One picker per attribute (size, colour, …) for the product page. A picker offers the values that
    exist with the values chosen on the pickers before it (the others are shown disabled), and each
    option says how many units of what it stands for can be ordered."""
    chosen = {name: str(combinations[selected].attributes[name]) for name in axes}
    pickers = []
    for position, name in enumerate(axes):
        before = axes[:position]
        matching_before = [c for c in combinations if all(str(c.attributes[n]) == chosen[n] for n in before)]
        values: list[str] = []
        for combination in combinations:
            value = str(combination.attributes[name])
            if value not in values:
                values.append(value)
        options = []
        for value in values:
            covered = [c for c in matching_before if str(c.attributes[name]) == value]
            options.append(
                PickerOption(
                    value=value,
                    enabled=bool(covered),
                    selected=value == chosen[name],
                    target=resolve_combination(axes, combinations, {**chosen, name: value}),
                    available=sum(c.available for c in covered),
                    orderable=any(c.orderable for c in covered),
                )
            )
        pickers.append(AttributePicker(name=name, options=options))
    return pickers


def attribute_label(name: str) -> str:
    """An attribute's name as a picker's legend: the common ones in the customer's language."""
    known = {"size": _("Size"), "colour": _("Colour"), "color": _("Colour"), "material": _("Material")}
    return known.get(name.strip().lower(), name[:1].upper() + name[1:])


# --- The preferred delivery window at checkout --------------------------------------------------------

# How far ahead a customer may ask for a delivery day (the stock stays reserved until then).
WINDOW_HORIZON_DAYS = 30
DOOR_DELIVERY_KINDS = frozenset({"courier", "express"})


def window_bounds(*, today: date, expected: date | None, calendar: Calendar) -> tuple[date, date]:
    """The first and last day a customer may choose: from the delivery option's expected date (never
    today or earlier: a window is booked ahead) to `WINDOW_HORIZON_DAYS` later."""
    earliest = calendar.next_working_day(max(expected or today, today + timedelta(days=1)))
    return earliest, today + timedelta(days=WINDOW_HORIZON_DAYS)


def window_errors(
    *,
    day: date | None,
    time_from: time | None,
    time_to: time | None,
    earliest: date,
    latest: date,
    calendar: Calendar,
) -> dict[str, str]:
    """What is wrong with a preferred delivery window (field → message); empty when it can be booked."""
    errors: dict[str, str] = {}
    if day is None:
        if time_from is not None or time_to is not None:
            errors["preferred_delivery.date"] = _("Choose the day of the time window.")
    elif day < earliest:
        errors["preferred_delivery.date"] = _(
            "The earliest day we can deliver is %(day)s; please choose it or a later one."
        ) % {"day": format_date(earliest, format="long", locale=babel_locale())}
    elif day > latest:
        errors["preferred_delivery.date"] = ngettext(
            "Choose a day within the next %(n)s day.",
            "Choose a day within the next %(n)s days.",
            WINDOW_HORIZON_DAYS,
        ) % {"n": WINDOW_HORIZON_DAYS}
    elif not calendar.is_working_day(day):
        errors["preferred_delivery.date"] = _("We do not deliver on that day. Please choose a working day.")
    if time_from is not None and time_to is not None and time_from >= time_to:
        errors["preferred_delivery.time_to"] = _("The window must end after it starts.")
    return errors
