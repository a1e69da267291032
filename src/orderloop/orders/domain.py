"""Pure rules of the orders area: the status machine, address and phone rules. No ORM here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

import phonenumbers
from django.utils.translation import gettext as _

from .models import DeliveryKind, OrderStatus, Priority

S = OrderStatus

# Statuses in which the order still holds stock reservations (before the parcel leaves the warehouse).
RESERVING = frozenset(
    {
        S.NEW,
        S.CONFIRMED,
        S.AWAITING_PAYMENT,
        S.PARTIALLY_PAID,
        S.PAID,
        S.AWAITING_STOCK,
        S.PICKING,
        S.PACKED,
    }
)

# Everything before shipping can be cancelled; cancelling releases every reservation.
CANCELLABLE = RESERVING

# A held order may not move into (or further through) the warehouse.
BLOCKED_BY_HOLD = frozenset({S.PICKING, S.PACKED, S.SHIPPED})
# Nor may staff confirm it: someone is still checking it (a hold is released before confirming). An order
# that waited for stock coming back `confirmed` on its own is not a confirmation and is not blocked.
HOLD_BLOCKS_CONFIRMING_FROM = frozenset({S.NEW})

# Moves that need every line fully reserved (nothing backordered).
NEEDS_FULL_RESERVATION = frozenset({S.CONFIRMED, S.PICKING})

FINAL = frozenset({S.COMPLETED, S.RETURNED, S.CANCELLED, S.REFUSED})

TRANSITIONS: dict[str, frozenset[str]] = {
    # Placed. Staff confirm it; a card payment at checkout may mark it paid straight away.
    S.NEW: frozenset({S.CONFIRMED, S.AWAITING_PAYMENT, S.PAID, S.AWAITING_STOCK, S.CANCELLED}),
    # Checked with the customer. Prepaid methods wait for money; cash on delivery goes to the warehouse.
    S.CONFIRMED: frozenset(
        {S.AWAITING_PAYMENT, S.PARTIALLY_PAID, S.PAID, S.AWAITING_STOCK, S.PICKING, S.CANCELLED}
    ),
    # Cancelled here also covers the payment timeout (reason `payment_timeout`).
    S.AWAITING_PAYMENT: frozenset({S.PARTIALLY_PAID, S.PAID, S.CANCELLED}),
    # A prepayment arrived; the rest is paid, or collected on delivery (then straight to picking).
    S.PARTIALLY_PAID: frozenset({S.PAID, S.PICKING, S.CANCELLED}),
    S.PAID: frozenset({S.PICKING, S.AWAITING_STOCK, S.CANCELLED}),
    # Stock arrived (confirmed / on to the warehouse), or the customer paid while waiting.
    S.AWAITING_STOCK: frozenset({S.CONFIRMED, S.AWAITING_PAYMENT, S.PAID, S.PICKING, S.CANCELLED}),
    # A short pick sends the order back to wait for stock.
    S.PICKING: frozenset({S.PACKED, S.AWAITING_STOCK, S.CANCELLED}),
    # Unpacked again (wrong box, added item) or handed over.
    S.PACKED: frozenset({S.PICKING, S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.IN_TRANSIT, S.READY_FOR_PICKUP, S.DELIVERED, S.REFUSED}),
    S.IN_TRANSIT: frozenset({S.READY_FOR_PICKUP, S.DELIVERED, S.REFUSED}),
    # Not collected in time counts as refused: the parcel goes back.
    S.READY_FOR_PICKUP: frozenset({S.DELIVERED, S.REFUSED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.RETURN_REQUESTED}),
    # The returns are settled: every unit back (returned), some of them (partially returned), or none
    # (withdrawn/rejected: the order closed).
    S.RETURN_REQUESTED: frozenset({S.RETURNED, S.PARTIALLY_RETURNED, S.COMPLETED}),
    # Another return for the units kept, or closed when the return window is over.
    S.PARTIALLY_RETURNED: frozenset({S.RETURN_REQUESTED, S.COMPLETED}),
    # Closed for the warehouse; a return within the return window still reopens it, so a completed
    # order whose units come back reads `returned` or `partially_returned`, not `completed`.
    S.COMPLETED: frozenset({S.RETURN_REQUESTED}),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUSED: frozenset(),
}


def can_transition(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


# Every answer about an order says where it may go next: worked out once per status.
_NEXT_IN_ORDER = {
    current: tuple(status.value for status in OrderStatus if status in targets)
    for current, targets in TRANSITIONS.items()
}


def allowed_next(current: str) -> list[str]:
    """The statuses an order in `current` may move to, in the order of OrderStatus."""
    return list(_NEXT_IN_ORDER.get(current, ()))


def holds_reservations(status: str) -> bool:
    return status in RESERVING


def is_cancellable(status: str) -> bool:
    return status in CANCELLABLE


def transition_blocker(*, current: str, to: str, on_hold: bool, backordered: bool) -> str | None:
    """Why a move the table allows must still wait: a stable code, or None when nothing blocks it."""
    if on_hold and (to in BLOCKED_BY_HOLD or (to == S.CONFIRMED and current in HOLD_BLOCKS_CONFIRMING_FROM)):
        return "order_on_hold"
    if backordered and current == S.AWAITING_STOCK and to in NEEDS_FULL_RESERVATION:
        return "stock_not_reserved"
    return None


def allowed_now(current: str, *, on_hold: bool) -> list[str]:
    """The statuses an order may move to right now: the table's moves less those a hold forbids (a held
    order is not offered a confirmation or a warehouse step that the service would refuse)."""
    return [
        to
        for to in allowed_next(current)
        if transition_blocker(current=current, to=to, on_hold=on_hold, backordered=False) != "order_on_hold"
    ]


def priority_for(*, delivery_kind: str, requested: str) -> str:
    """An express delivery method makes the order express, whichever channel placed it (web, phone,
    marketplace import, API); any other method keeps the priority asked for."""
    return Priority.EXPRESS if delivery_kind == DeliveryKind.EXPRESS else requested


def priority_after_method_change(*, old_kind: str, new_kind: str, current: str) -> str:
    """The priority when an order's delivery method changes: express with an express method; back to
    normal when it leaves an express method (the express priority came from the method)."""
    if new_kind == DeliveryKind.EXPRESS:
        return Priority.EXPRESS
    if old_kind == DeliveryKind.EXPRESS and current == Priority.EXPRESS:
        return Priority.NORMAL
    return current


# --- Intake input ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerData:
    name: str
    phone: str
    email: str = ""
    language: str = ""


@dataclass(frozen=True)
class AddressData:
    country: str
    city: str = ""
    postal_code: str = ""
    line1: str = ""
    line2: str = ""
    region: str = ""


@dataclass(frozen=True)
class LineData:
    sku: str
    quantity: int
    note: str = ""


@dataclass(frozen=True)
class PreferredDelivery:
    date: date | None = None
    time_from: time | None = None
    time_to: time | None = None


@dataclass(frozen=True)
class AddressRule:
    required: tuple[str, ...] = ("city", "postal_code", "line1")
    postal_code: str | None = None  # a regular expression the postal code must match
    postal_example: str = ""


# Required address fields per country; countries not listed use DEFAULT_ADDRESS_RULE.
DEFAULT_ADDRESS_RULE = AddressRule()
ADDRESS_RULES: dict[str, AddressRule] = {
    "UA": AddressRule(postal_code=r"\d{5}", postal_example="01001"),
    "SE": AddressRule(postal_code=r"\d{3} ?\d{2}", postal_example="114 55"),
    "RU": AddressRule(postal_code=r"\d{6}", postal_example="101000"),
    "DE": AddressRule(postal_code=r"\d{5}", postal_example="10115"),
    "PL": AddressRule(postal_code=r"\d{2}-\d{3}", postal_example="00-001"),
    "US": AddressRule(
        required=("city", "postal_code", "line1", "region"),
        postal_code=r"\d{5}(-\d{4})?",
        postal_example="10001",
    ),
    # No postal codes; the emirate (region) matters for delivery.
    "AE": AddressRule(required=("city", "line1", "region")),
    "QA": AddressRule(required=("city", "line1")),
    "HK": AddressRule(required=("line1", "region")),
    "IE": AddressRule(required=("city", "line1")),
}


def address_rule(country: str) -> AddressRule:
    return ADDRESS_RULES.get(country.upper(), DEFAULT_ADDRESS_RULE)


# What a delivery kind needs of the address beyond the country: collected in store needs nothing; a
# pickup point needs its city and the point itself (number or address, in line 1); the door needs
# the country's full address rule.
PICKUP_POINT_REQUIRED = ("city", "line1")


def required_address_fields(country: str, delivery_kind: str = "") -> tuple[str, ...]:
    if delivery_kind == "store_pickup":
        return ()
    if delivery_kind == "pickup_point":
        return PICKUP_POINT_REQUIRED
    return address_rule(country).required


def address_errors(
    address: AddressData, *, prefix: str = "shipping_address", delivery_kind: str = ""
) -> dict[str, str]:
    """Field → message for every rule the address breaks (country validity is checked by the caller)."""
    errors: dict[str, str] = {}
    rule = address_rule(address.country)
    for name in required_address_fields(address.country, delivery_kind):
        if not getattr(address, name).strip():
            errors[f"{prefix}.{name}"] = _("This field is required for %(country)s.") % {
                "country": address.country.upper()
            }
    postal = address.postal_code.strip()
    if postal and rule.postal_code and not re.fullmatch(rule.postal_code, postal):
        errors[f"{prefix}.postal_code"] = _("Not a postal code of %(country)s (e.g. %(example)s).") % {
            "country": address.country.upper(),
            "example": rule.postal_example,
        }
    return errors


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str, country: str) -> str:
    """The number in E.164 (`+380501234567`), read in the address's country when it has no `+` prefix."""
    text = (raw or "").strip()
    if not text:
        raise PhoneError(_("This field is required."))
    try:
        parsed = phonenumbers.parse(text, country.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(_("Not a phone number.")) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(_("Not a valid phone number for %(country)s.") % {"country": country.upper()})
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    _remember_country(e164, phonenumbers.region_code_for_number(parsed))
    return e164


# The countries of numbers just normalized: an order's risk rules ask for the country of the number its
# intake has just parsed, and parsing is the costly part (phonenumbers is pure Python). Bounded.
_COUNTRIES: dict[str, str | None] = {}
_MAX_COUNTRIES = 4096


def _remember_country(e164: str, country: str | None) -> None:
    if len(_COUNTRIES) >= _MAX_COUNTRIES:
        _COUNTRIES.clear()
    _COUNTRIES[e164] = country


def phone_country(e164: str) -> str | None:
    """The ISO country of an E.164 number (risk rules compare it with the address)."""
    if e164 in _COUNTRIES:
        return _COUNTRIES[e164]
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
