"""Pure rules of shipping, no ORM: the shipment status machine (a monotonic rank), each carrier's event
codes mapped to our statuses, which order status the shipments call for, the courier's route order,
and own tracking numbers. Tested in milliseconds."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from .models import AdapterKind, ShipmentStatus

S = ShipmentStatus

# --- The shipment status machine ---------------------------------------------------------------------

# Stages: a shipment only moves to a higher stage, or within its stage to a later event. Final stages
# never move. `in_transit` and `at_hub` alternate while the parcel travels; `out_for_delivery`,
# `failed_attempt` and `ready_for_pickup` alternate on the last mile (a second attempt, a parcel moved
# to a pickup point after a failed attempt).
RANK: dict[str, int] = {
    S.DRAFT: 0,
    S.LABEL_CREATED: 10,
    S.HANDED_OVER: 20,
    S.IN_TRANSIT: 30,
    S.AT_HUB: 30,
    S.OUT_FOR_DELIVERY: 40,
    S.FAILED_ATTEMPT: 40,
    S.READY_FOR_PICKUP: 40,
    S.DELIVERED: 100,
    S.RETURNED_TO_SENDER: 100,
    S.CANCELLED: 100,
}

FINAL = frozenset({S.DELIVERED, S.RETURNED_TO_SENDER, S.CANCELLED})
# Before the parcel left: it can still be cancelled (the carrier's document deleted).
CANCELLABLE = frozenset({S.DRAFT, S.LABEL_CREATED})
# Handed over and not yet final: the carrier has it, tracking is polled.
ON_THE_WAY = frozenset(
    {S.HANDED_OVER, S.IN_TRANSIT, S.AT_HUB, S.OUT_FOR_DELIVERY, S.FAILED_ATTEMPT, S.READY_FOR_PICKUP}
)


def rank(status: str) -> int:
    return RANK.get(status, -1)


def _may_follow(current: str, new: str) -> bool:
    if current in FINAL:
        return False
    if new == current:
        return new == S.FAILED_ATTEMPT
    if new == S.CANCELLED:
        return current in CANCELLABLE
    return rank(new) >= rank(current)


# The moves the stages allow, as a table (the shipment's StateMachine checks it). Within a stage the time
# of the event decides too (should_apply), which a table cannot say: should_apply is asked first.
TRANSITIONS: dict[str, frozenset[str]] = {
    current: frozenset(new for new in RANK if _may_follow(current, new)) for current in RANK
}


def should_apply(*, current: str, new: str, new_at: datetime | None, current_at: datetime | None) -> bool:
    """Whether an event with status `new` (happened at `new_at`) moves a shipment in `current` (whose
    status was set by an event at `current_at`). Never backwards: a lower stage is only recorded; within
    a stage only a later event moves it (the same status again only for a later failed attempt); a final
    status never moves; cancelling is only for parcels that have not left."""
    if new not in RANK or current in FINAL:
        return False
    if new == current:
        # No news, except a later failed attempt: another try, with its own reason and next day.
        return new == S.FAILED_ATTEMPT and new_at is not None and (current_at is None or new_at > current_at)
    if new == S.CANCELLED:
        return current in CANCELLABLE
    if rank(new) > rank(current):
        return True
    if rank(new) == rank(current):
        return new_at is not None and (current_at is None or new_at > current_at)
    return False


# --- Carrier codes → our statuses ---------------------------------------------------------------------

# Nova Poshta TrackingDocument.getStatusDocuments `StatusCode` (API 2.0 reference, "Статуси ЕН").
NOVA_POSHTA_CODES: dict[str, str] = {
    "1": S.LABEL_CREATED,  # the sender created the document, the parcel is not handed over yet
    "12": S.HANDED_OVER,  # Nova Poshta is assembling the parcel
    "4": S.IN_TRANSIT,  # in the sender's city
    "41": S.IN_TRANSIT,  # in the city (local delivery)
    "5": S.IN_TRANSIT,  # heading to the recipient's city
    "104": S.IN_TRANSIT,  # address changed
    "6": S.AT_HUB,  # in the recipient's city, on the way to the branch
    "7": S.READY_FOR_PICKUP,  # arrived at the branch
    "8": S.READY_FOR_PICKUP,  # arrived at the branch (parcel locker)
    "101": S.OUT_FOR_DELIVERY,  # on the way to the recipient (courier)
    "111": S.FAILED_ATTEMPT,  # the recipient was not at the address / not reachable
    "112": S.FAILED_ATTEMPT,  # the recipient moved the delivery date
    "9": S.DELIVERED,  # received
    "10": S.DELIVERED,  # received, the cash-on-delivery transfer follows
    "11": S.DELIVERED,  # received, the cash-on-delivery transfer paid out
    "106": S.DELIVERED,  # received, a return document was created
    "102": S.RETURNED_TO_SENDER,  # refused by the recipient
    "103": S.RETURNED_TO_SENDER,  # refused by the recipient
    "108": S.RETURNED_TO_SENDER,  # refused by the recipient
    "105": S.RETURNED_TO_SENDER,  # storage stopped (not collected)
    "2": S.CANCELLED,  # the document was deleted
}

# PostNord Track & Trace (findByIdentifier) event `status` values.
POSTNORD_CODES: dict[str, str] = {
    "CREATED": S.LABEL_CREATED,
    "INFORMED": S.LABEL_CREATED,
    "EN_ROUTE": S.IN_TRANSIT,
    "DELAYED": S.IN_TRANSIT,
    "EXPECTED_DELAY": S.IN_TRANSIT,
    "AVAILABLE_FOR_DELIVERY": S.OUT_FOR_DELIVERY,
    "DELIVERY_IMPOSSIBLE": S.FAILED_ATTEMPT,
    "DELIVERED": S.DELIVERED,
    "DELIVERY_REFUSED": S.RETURNED_TO_SENDER,
    "RETURNED": S.RETURNED_TO_SENDER,
}
# Why a carrier's attempt failed, in the words of FailureReason (anything else: "other", with the
# carrier's own text).
CARRIER_FAILURE_REASONS: dict[str, dict[str, str]] = {
    AdapterKind.NOVA_POSHTA: {"111": "not_home"},
}


def carrier_failure_reason(adapter: str, code: str) -> str:
    return CARRIER_FAILURE_REASONS.get(adapter, {}).get((code or "").strip(), "other")


# For parcels going to a service point, "available for delivery" means it waits there.
POSTNORD_PICKUP_OVERRIDES: dict[str, str] = {"AVAILABLE_FOR_DELIVERY": S.READY_FOR_PICKUP}

# The shop's own couriers and the store report in our own words.
OWN_CODES: dict[str, str] = {status.value: status.value for status in ShipmentStatus}

CODE_TABLES: dict[str, dict[str, str]] = {
    AdapterKind.NOVA_POSHTA: NOVA_POSHTA_CODES,
    AdapterKind.POSTNORD: POSTNORD_CODES,
    AdapterKind.OWN_COURIER: OWN_CODES,
    AdapterKind.STORE_PICKUP: OWN_CODES,
}


def map_carrier_code(adapter: str, code: str, *, to_pickup_point: bool = False) -> str | None:
    """Our status for a carrier's event code; None when the code is unknown (kept and flagged)."""
    code = (code or "").strip()
    if adapter == AdapterKind.POSTNORD:
        code = code.upper()
        if to_pickup_point and code in POSTNORD_PICKUP_OVERRIDES:
            return POSTNORD_PICKUP_OVERRIDES[code]
    return CODE_TABLES.get(adapter, {}).get(code)


# --- Returns: which carrier brings a return back, and what its events mean ------------------------------

# The return methods of the returns area (returns.models.ReturnMethod values).
RETURN_COURIER_PICKUP = "courier_pickup"
# The carrier whose return service a country's customers use when the order's own carrier cannot take
# the parcel back (it came with our courier or from the store).
RETURN_COUNTRY_CARRIERS: dict[str, str] = {"UA": AdapterKind.NOVA_POSHTA, "SE": AdapterKind.POSTNORD}
REMOTE_ADAPTERS = frozenset({AdapterKind.NOVA_POSHTA, AdapterKind.POSTNORD})


def return_carrier(
    *, method: str, country: str, delivered_by: Sequence[str], home_country: str
) -> str | None:
    """The adapter a return goes back with (None: the shop's own label, no carrier).

    Courier pickup → our own courier, where our couriers go: the shop's own country, or an order our
    courier delivered. Everything else (drop-off at a pickup point, post, a courier pickup abroad) → the
    carrier that delivered the order (`delivered_by`: the adapters of the order's shipments, latest
    first), else the return carrier of the destination country (Nova Poshta in UA, PostNord in SE)."""
    country = (country or "").upper()
    if method == RETURN_COURIER_PICKUP and (
        country == (home_country or "").upper() or AdapterKind.OWN_COURIER in delivered_by
    ):
        return AdapterKind.OWN_COURIER
    for adapter in delivered_by:
        if adapter in REMOTE_ADAPTERS:
            return adapter
    return RETURN_COUNTRY_CARRIERS.get(country)


# A return parcel is on its way from the customer once the carrier has it, and "delivered" once it
# reached the shop. Waiting at the shop's branch still counts as on the way (someone must fetch it).
RETURN_IN_TRANSIT = ON_THE_WAY
RETURN_DELIVERED = frozenset({S.DELIVERED})


def return_tracking_status(adapter: str, code: str) -> str | None:
    """A carrier event of a return parcel as the returns port reads it: "in_transit", "delivered", or
    None (not sent yet, cancelled, sent back to the customer, or a code we do not know: ignored)."""
    status = map_carrier_code(adapter, code)
    if status in RETURN_DELIVERED:
        return "delivered"
    if status in RETURN_IN_TRANSIT:
        return "in_transit"
    return None


# --- What the shipments mean for the order ------------------------------------------------------------

# The order statuses shipping moves an order through, in their forward order.
ORDER_SHIPPED, ORDER_IN_TRANSIT, ORDER_READY, ORDER_DELIVERED, ORDER_REFUSED = (
    "shipped",
    "in_transit",
    "ready_for_pickup",
    "delivered",
    "refused",
)


def order_target(statuses: Sequence[str], *, all_units_shipped: bool) -> str | None:
    """The order status its shipments call for (None: nothing to do). `statuses` are the order's
    shipments that are not cancelled; `all_units_shipped`: every unit of the order is in one of them.

    A parcel returned to the sender makes the order refused; every parcel delivered (and nothing left
    to ship) makes it delivered; every parcel still on the way waiting at a pickup point makes it ready
    for pickup; any parcel travelling makes it in transit; any parcel handed over makes it shipped. The
    caller moves the order only when the order table allows it (so never backwards)."""
    live = [s for s in statuses if s != S.CANCELLED]
    if not live:
        return None
    if any(s == S.RETURNED_TO_SENDER for s in live):
        return ORDER_REFUSED
    if all(s == S.DELIVERED for s in live):
        return ORDER_DELIVERED if all_units_shipped else ORDER_IN_TRANSIT
    moving = [s for s in live if s != S.DELIVERED]
    if all(s == S.READY_FOR_PICKUP for s in moving):
        return ORDER_READY
    if any(rank(s) >= rank(S.IN_TRANSIT) for s in live):
        return ORDER_IN_TRANSIT
    if any(rank(s) >= rank(S.HANDED_OVER) for s in live):
        return ORDER_SHIPPED
    return None


# --- The courier's route ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    shipment_id: int
    postal_code: str
    city: str
    street: str
    time_from: time | None = None
    time_to: time | None = None
    position: int | None = None  # set by hand: comes first, in this order


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """'Khreshchatyk 9' before 'Khreshchatyk 10': numbers compare as numbers."""
    parts = re.findall(r"\d+|\D+", (text or "").strip().lower())
    return tuple((0, int(p)) if p.isdigit() else (1, p.strip()) for p in parts if p.strip())


def route_key(stop: Stop) -> tuple[object, ...]:
    """Hand-set positions first; then the earliest end of the customer's time window (no window: last),
    its start; then by postal code, city and street so neighbours follow each other."""
    return (
        0 if stop.position is not None else 1,
        stop.position or 0,
        stop.time_to or time.max,
        stop.time_from or time.min,
        _natural(stop.postal_code),
        stop.city.strip().lower(),
        _natural(stop.street),
        stop.shipment_id,
    )


def route_order(stops: Iterable[Stop]) -> list[Stop]:
    return sorted(stops, key=route_key)


# --- Own tracking numbers and webhook signatures --------------------------------------------------------


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits (a mistyped number is caught at the desk)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def own_tracking_number(prefix: str, shipment_id: int) -> str:
    body = f"{shipment_id:09d}"
    return f"{prefix}{body}{luhn_digit(body)}"


def normalize_tracking(code: str) -> str:
    """What a scanner or a person typed: no spaces, dashes, or trailing tab/CR; letters upper case."""
    return re.sub(r"[\s\-]+", "", code or "").upper()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())


SIGNATURE_HEADER = "X-Orderloop-Signature"
TIMESTAMP_HEADER = "X-Orderloop-Timestamp"


def webhook_verified(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float,
    tolerance: int,
    require_timestamp: bool,
) -> str:
    """Check a webhook's signature; returns "" when it holds, else why not ("signature", "timestamp").

    A sender that sends `X-Orderloop-Timestamp` (Unix seconds) signs `<timestamp>.<body>`, and the time
    must be within `tolerance` seconds of `now`: a captured webhook cannot be replayed after that. A
    sender without it signs the body alone (refused when `require_timestamp`)."""
    header = headers.get(SIGNATURE_HEADER, "")
    stamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    if not stamp:
        if require_timestamp:
            return "timestamp"
        return "" if signature_valid(secret, body, header) else "signature"
    if not signature_valid(secret, stamp.encode() + b"." + body, header):
        return "signature"
    try:
        sent = int(stamp)
    except ValueError:
        return "timestamp"
    return "" if abs(now - sent) <= tolerance else "timestamp"
