"""Pure rules of fulfilment, no ORM: which orders may go to the warehouse and in what order, how a wave
becomes pick lists (route order, batches, zones), how picked units are sorted into the orders' totes,
what a packing scan means, which box fits, how items split into parcels, and the status machines of
waves, pick lists and parcels. Tested in milliseconds (tests/fulfillment/test_domain.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import permutations
from typing import Any

from orderloop.orders.models import OrderStatus, PaymentKind, Priority

from .models import ParcelStatus, PickListStatus, PickMethod, ScanOutcome, WaveStatus

S = OrderStatus

# --- Status machines ---------------------------------------------------------------------------------

WAVE_TRANSITIONS: dict[str, frozenset[str]] = {
    # Released: pick lists printed/handed out. Everything short at once goes straight to picked.
    WaveStatus.RELEASED: frozenset({WaveStatus.PICKING, WaveStatus.PICKED}),
    WaveStatus.PICKING: frozenset({WaveStatus.PICKED}),
    # Picked: every pick list is done; closed when every tote was packed (or emptied by short picks).
    WaveStatus.PICKED: frozenset({WaveStatus.CLOSED}),
    WaveStatus.CLOSED: frozenset(),
}

PICK_LIST_TRANSITIONS: dict[str, frozenset[str]] = {
    PickListStatus.OPEN: frozenset({PickListStatus.IN_PROGRESS, PickListStatus.DONE}),
    PickListStatus.IN_PROGRESS: frozenset({PickListStatus.DONE}),
    PickListStatus.DONE: frozenset(),
}

PARCEL_TRANSITIONS: dict[str, frozenset[str]] = {
    # Open: on the packing table. Cancelled: emptied and put aside (its items stay in the tote).
    ParcelStatus.OPEN: frozenset({ParcelStatus.PACKED, ParcelStatus.CANCELLED}),
    # Packed: closed, weighed, waiting for shipping. Re-opened when it must be packed again.
    # (Shipping adds `shipped` here when it takes the parcel over.)
    ParcelStatus.PACKED: frozenset({ParcelStatus.OPEN}),
    ParcelStatus.CANCELLED: frozenset(),
}


def can_move(table: dict[str, frozenset[str]], current: str, to: str) -> bool:
    return to in table.get(current, frozenset())


# --- Ready to fulfil ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessFacts:
    status: str
    payment_kind: str
    is_prepaid: bool
    payment_state: str  # the payments area's state ("" when nothing was ever recorded)
    on_hold: bool
    risk_flagged: bool
    risk_reviewed: bool
    backordered: bool  # some line still waits for stock


# Statuses an order may be picked from, and what its payment must be there.
READY_STATUSES = frozenset({S.CONFIRMED, S.PAID, S.PARTIALLY_PAID, S.AWAITING_STOCK, S.PICKING})


def payment_allows_picking(*, status: str, payment_kind: str, is_prepaid: bool, payment_state: str) -> bool:
    """Prepaid orders go to the warehouse once paid, cash-on-delivery orders once confirmed; a
    prepayment order once its prepayment arrived (the rest is collected at the door)."""
    if status in (S.PAID, S.PICKING):
        return True
    if status == S.CONFIRMED:
        return not is_prepaid
    if status == S.PARTIALLY_PAID:
        return payment_kind == PaymentKind.PREPAYMENT
    if status == S.AWAITING_STOCK:
        if not is_prepaid:
            return True
        if payment_kind == PaymentKind.PREPAYMENT:
            return payment_state in ("partially_paid", "paid")
        return payment_state == "paid"
    return False


def readiness_blocker(facts: ReadinessFacts) -> str | None:
    """Why the order may not be picked yet (a stable code), or None when it is ready."""
    if facts.status not in READY_STATUSES:
        return "status_not_ready"
    if not payment_allows_picking(
        status=facts.status,
        payment_kind=facts.payment_kind,
        is_prepaid=facts.is_prepaid,
        payment_state=facts.payment_state,
    ):
        return "payment_pending"
    if facts.on_hold:
        return "order_on_hold"
    if facts.risk_flagged and not facts.risk_reviewed:
        return "risk_review_required"
    if facts.backordered and facts.status != S.PICKING:
        return "stock_not_reserved"
    return None


def queue_key(
    *, priority: str, promised_date: date | None, created_at: datetime, order_id: int
) -> tuple[Any, ...]:
    """Express first, then the earliest promised date (none: last), then the oldest order."""
    return (
        0 if priority == Priority.EXPRESS else 1,
        promised_date is None,
        promised_date or date.max,
        created_at,
        order_id,
    )


# --- Pick route ----------------------------------------------------------------------------------------


def _natural(text: str) -> tuple[tuple[int, Any], ...]:
    """'A-2' < 'A-10': digit runs compare as numbers, the rest case-insensitively."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.findall(r"\d+|\D+", text or "")
    )


@dataclass(frozen=True)
class PickItem:
    """Units of one order line to take from one stock row (one bin) in this warehouse."""

    line_id: int
    order_id: int
    stock_id: int
    variant_id: int
    sku: str
    quantity: int
    bin_code: str = ""
    zone: str = ""
    aisle: str = ""
    shelf: str = ""
    bin: str = ""
    route_order: int | None = None  # None: the variant has no bin here


def route_key(item: PickItem) -> tuple[Any, ...]:
    """The order a picker walks: the bins' route order, then zone, aisle, shelf and bin (numbers as
    numbers); items without a bin come last. Same bin: by SKU, then order line."""
    return (
        item.route_order is None,
        item.route_order or 0,
        _natural(item.zone),
        _natural(item.aisle),
        _natural(item.shelf),
        _natural(item.bin),
        _natural(item.bin_code),
        item.sku,
        item.line_id,
    )


def route_sorted(items: Iterable[PickItem]) -> list[PickItem]:
    return sorted(items, key=route_key)


def split_by_zone(items: Iterable[PickItem]) -> dict[str, list[PickItem]]:
    """Each zone's items in route order; zones in route order of their first bin (items without a bin
    form the zone "")."""
    zones: dict[str, list[PickItem]] = defaultdict(list)
    for item in route_sorted(items):
        zones[item.zone].append(item)
    return dict(zones)


def make_batches(order_ids: Sequence[int], batch_size: int) -> list[list[int]]:
    """Orders (already in queue order) cut into batches of `batch_size`, keeping the queue order."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [list(order_ids[start : start + batch_size]) for start in range(0, len(order_ids), batch_size)]


@dataclass
class PickListPlan:
    batch: int  # 1-based
    zone: str  # "" = every zone
    items: list[PickItem] = field(default_factory=list)


@dataclass
class WavePlan:
    # order id → (batch, slot), slot 1-based within its batch
    totes: dict[int, tuple[int, int]]
    pick_lists: list[PickListPlan]


def plan_wave(
    *, method: str, order_ids: Sequence[int], items: Iterable[PickItem], batch_size: int = 1
) -> WavePlan:
    """How a wave of orders (in queue order) is picked.

    - single: one pick list per order;
    - batch: `batch_size` orders per pick list, each order in its own tote;
    - zone: every order of the wave in one batch, one pick list per zone (lines meet at packing);
    - wave: batches of `batch_size`, each batch picked zone by zone (one list per batch and zone).
    Every list is in route order. Orders without items get no tote.
    """
    by_order: dict[int, list[PickItem]] = defaultdict(list)
    for item in items:
        by_order[item.order_id].append(item)
    ordered = [order_id for order_id in dict.fromkeys(order_ids) if by_order.get(order_id)]
    if method == PickMethod.SINGLE:
        batches = make_batches(ordered, 1)
    elif method == PickMethod.BATCH or method == PickMethod.WAVE:
        batches = make_batches(ordered, batch_size)
    elif method == PickMethod.ZONE:
        batches = [ordered] if ordered else []
    else:
        raise ValueError(f"unknown picking method {method!r}")
    totes: dict[int, tuple[int, int]] = {}
    pick_lists: list[PickListPlan] = []
    by_zone = method in (PickMethod.ZONE, PickMethod.WAVE)
    for batch_number, batch in enumerate(batches, start=1):
        for slot, order_id in enumerate(batch, start=1):
            totes[order_id] = (batch_number, slot)
        batch_items = [item for order_id in batch for item in by_order[order_id]]
        if by_zone:
            for zone, zone_items in split_by_zone(batch_items).items():
                pick_lists.append(PickListPlan(batch=batch_number, zone=zone, items=zone_items))
        else:
            pick_lists.append(PickListPlan(batch=batch_number, zone="", items=route_sorted(batch_items)))
    return WavePlan(totes=totes, pick_lists=pick_lists)


# --- Pick rows and batch sorting ---------------------------------------------------------------------


def sort_into_totes(units: int, demands: Sequence[tuple[Hashable, int]]) -> list[tuple[Hashable, int]]:
    """Sort `units` picked from one bin into the totes that asked for them, in the given (queue) order:
    each tote gets what it asked for until the units run out, so a shortage falls on the orders at
    the end of the queue. Returns (tote, units) for every demand, in the same order."""
    if units < 0:
        raise ValueError("units must not be negative")
    if units > sum(quantity for _key, quantity in demands):
        raise ValueError("more units than the totes asked for")
    left = units
    sorted_units = []
    for key, quantity in demands:
        take = min(left, quantity)
        sorted_units.append((key, take))
        left -= take
    return sorted_units


# --- Scans ---------------------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    """What a scanner typed: trimmed, without control characters (a scanner may add a tab or CR)."""
    return "".join(ch for ch in (code or "") if ch.isprintable()).strip()[:100]


def code_matches(code: str, *candidates: str | None) -> bool:
    wanted = normalize_code(code).casefold()
    return bool(wanted) and any(wanted == (c or "").strip().casefold() for c in candidates if c)


def pack_scan_outcome(*, variant_id: int | None, ordered: Iterable[int], remaining: dict[int, int]) -> str:
    """A scan at the packing station: a product of this order with units still to pack is accepted;
    a product the order does not have here is a wrong item, one more than was picked is too many, and
    a code of no product is unknown."""
    if variant_id is None:
        return ScanOutcome.UNKNOWN_CODE
    if variant_id not in set(ordered):
        return ScanOutcome.WRONG_ITEM
    if remaining.get(variant_id, 0) <= 0:
        return ScanOutcome.TOO_MANY
    return ScanOutcome.ACCEPTED


def pick_accuracy(*, accepted_units: int, mispicks: int) -> Decimal | None:
    """Share of the units reaching the packing station that were right (0–1, four decimals); None
    when nothing was packed."""
    total = accepted_units + mispicks
    if total <= 0:
        return None
    return (Decimal(accepted_units) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# --- Boxes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    code: str
    length: int
    width: int
    height: int
    max_weight_g: int = 0  # 0: no limit

    @property
    def volume(self) -> int:
        return self.length * self.width * self.height


@dataclass(frozen=True)
class Item:
    """One unit to pack (mm, g). A measure of 0 means unknown: the unit is taken to fit anywhere."""

    key: Hashable
    length: int
    width: int
    height: int
    weight_g: int = 0

    @property
    def volume(self) -> int:
        return self.length * self.width * self.height

    @property
    def measured(self) -> bool:
        return self.length > 0 and self.width > 0 and self.height > 0

    def dims(self) -> tuple[int, int, int]:
        return (self.length, self.width, self.height)


def fits_alone(item: Item, box: Box) -> bool:
    """The unit fits the box in some rotation (sorted measures compare) and within its weight limit."""
    if box.max_weight_g and item.weight_g > box.max_weight_g:
        return False
    if not item.measured:
        return True
    return all(
        a <= b for a, b in zip(sorted(item.dims()), sorted((box.length, box.width, box.height)), strict=True)
    )


def _footprint(item: Item, length: int, width: int) -> tuple[int, int, int] | None:
    """The lowest way to stand the unit on a floor of length × width: (along length, along width, height)."""
    a, b, c = sorted(item.dims())
    for x, y, h in ((c, b, a), (b, c, a), (c, a, b), (a, c, b), (b, a, c), (a, b, c)):
        if x <= length and y <= width:
            return x, y, h
    return None


def _layers_fit(items: Sequence[Item], length: int, width: int, height: int) -> bool:
    """Place the units in layers: rows along the length, rows side by side across the width, a layer
    as high as its highest unit, layers stacked up to the height. A sufficient test: when it says yes,
    this arrangement is real."""
    placed = []
    for item in items:
        if not item.measured:
            continue
        footprint = _footprint(item, length, width)
        if footprint is None:
            return False
        placed.append(footprint)
    placed.sort(key=lambda f: (-f[2], -f[0] * f[1]))
    used_height = 0
    layer_height = row_depth = row_length = depth_used = 0
    for x, y, h in placed:
        if layer_height == 0:
            layer_height, row_length, row_depth, depth_used = h, x, y, 0
            continue
        if row_length + x <= length and depth_used + max(row_depth, y) <= width:
            row_length += x
            row_depth = max(row_depth, y)
        elif depth_used + row_depth + y <= width:
            depth_used += row_depth
            row_length, row_depth = x, y
        else:
            used_height += layer_height
            layer_height, row_length, row_depth, depth_used = h, x, y, 0
        if used_height + layer_height > height:
            return False
    return used_height + layer_height <= height


def fits_together(items: Sequence[Item], box: Box) -> bool:
    """All the units fit the box together: within its weight limit, each unit in some rotation, and
    arranged in layers (the box may stand on any side)."""
    if box.max_weight_g and sum(item.weight_g for item in items) > box.max_weight_g:
        return False
    if not all(fits_alone(item, box) for item in items):
        return False
    if sum(item.volume for item in items if item.measured) > box.volume:
        return False
    seen = set()
    for length, width, height in permutations((box.length, box.width, box.height)):
        if (length, width, height) in seen:
            continue
        seen.add((length, width, height))
        if _layers_fit(items, length, width, height):
            return True
    return False


def _by_size(boxes: Iterable[Box]) -> list[Box]:
    return sorted(boxes, key=lambda b: (b.volume, b.max_weight_g or 10**12, b.code))


def choose_box(items: Sequence[Item], boxes: Iterable[Box]) -> Box | None:
    """The smallest box (by volume) that takes every unit; None when none does."""
    for box in _by_size(boxes):
        if fits_together(items, box):
            return box
    return None


@dataclass
class ParcelPlan:
    box: Box | None  # None: the unit fits no standard box (ships in its own packaging)
    items: list[Item]


def plan_parcels(items: Sequence[Item], boxes: Iterable[Box]) -> list[ParcelPlan]:
    """One parcel in the smallest box that fits everything; when no box takes everything, as few
    parcels as a first-fit (largest units first) finds, each in its smallest fitting box. A unit no
    box takes travels alone without a standard box."""
    ranked = _by_size(boxes)
    if not items:
        return []
    whole = choose_box(items, ranked)
    if whole is not None:
        return [ParcelPlan(box=whole, items=list(items))]
    parcels: list[list[Item]] = []
    oversize: list[Item] = []
    for item in sorted(items, key=lambda i: (-i.volume, -i.weight_g, str(i.key))):
        if choose_box([item], ranked) is None:
            oversize.append(item)
            continue
        for contents in parcels:
            if choose_box([*contents, item], ranked) is not None:
                contents.append(item)
                break
        else:
            parcels.append([item])
    plans = [ParcelPlan(box=choose_box(contents, ranked), items=contents) for contents in parcels]
    plans += [ParcelPlan(box=None, items=[item]) for item in oversize]
    return plans
