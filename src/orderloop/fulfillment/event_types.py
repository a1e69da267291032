"""The fulfilment area's event types (the catalogue: core/events.py, docs/events.md).

Three subjects, each with its status machine (fulfillment/domain.py): the `wave` (released → picking →
picked → closed), its `pick_list`s (created open → in_progress → done; claimed by a picker; short picks
on the way) and the order's `parcel`s (opened → packed, cancelled, reopened; a wrong item scanned at the
packing table is a mis-pick). `FulfilmentEvent` stays the readable timeline of the warehouse screens;
these events are written with it, in the same transaction.
"""

from __future__ import annotations

from orderloop.core.events import Payload, TransitionPayload, define

from .models import PickListStatus, WaveStatus

# --- Waves -------------------------------------------------------------------------------------------


class WaveFacts(Payload):
    number: str  # W<id>
    warehouse: str  # the warehouse's code


class WaveReleased(WaveFacts):
    method: str  # single, batch, zone, wave
    orders: list[str]  # the order numbers the wave takes
    pick_lists: list[str]  # the pick lists' codes
    units: int
    delivery_methods: list[str]  # empty: every delivery method
    placed_before: str | None = None  # the release's cut-off (ISO 8601)


class WaveMoved(TransitionPayload, WaveFacts):
    pass


define(
    "wave.released",
    subject="wave",
    payload=WaveReleased,
    description="A wave of ready orders was released to a warehouse: its orders, pick lists and units.",
)
_WAVE_MOVES = {
    WaveStatus.PICKING: "The first unit of the wave was picked.",
    WaveStatus.PICKED: "Every pick list of the wave is done (picked or short).",
    WaveStatus.CLOSED: "Every tote of the wave was packed or emptied: the wave is over.",
}
for _status, _description in _WAVE_MOVES.items():
    define(f"wave.{WaveStatus(_status).value}", subject="wave", payload=WaveMoved, description=_description)

# --- Pick lists --------------------------------------------------------------------------------------


class PickListFacts(Payload):
    code: str
    wave: str  # the wave's number
    warehouse: str


class PickListCreated(PickListFacts):
    status: str
    batch: int
    zone: str  # empty: every zone
    units: int


class PickListClaimed(PickListFacts):
    picker: str  # the picker's user name


class PickListMoved(TransitionPayload, PickListFacts):
    picker: str = ""


class Reallocation(Payload):
    warehouse: str
    quantity: int


class PickListShortPicked(PickListFacts):
    order_id: int
    order_number: str
    sku: str
    bin: str
    tote: str
    short: int  # units not found in the bin
    reallocated: list[Reallocation]  # the missing units reserved in other warehouses
    backordered: int  # the missing units that wait for stock
    reason: str


define(
    "pick_list.created",
    subject="pick_list",
    payload=PickListCreated,
    description="A pick list of a released wave (its batch, zone and units), open for a picker.",
)
define(
    "pick_list.claimed",
    subject="pick_list",
    payload=PickListClaimed,
    description="A picker took the pick list (the handheld shows it as theirs).",
)
define(
    "pick_list.short_picked",
    subject="pick_list",
    payload=PickListShortPicked,
    description="Units of an order were not in the bin: re-allocated elsewhere or backordered.",
)
_PICK_LIST_MOVES = {
    PickListStatus.IN_PROGRESS: "The first unit of the pick list was picked.",
    PickListStatus.DONE: "Nothing is left to pick on the list (everything picked or short).",
}
for _list_status, _description in _PICK_LIST_MOVES.items():
    define(
        f"pick_list.{PickListStatus(_list_status).value}",
        subject="pick_list",
        payload=PickListMoved,
        description=_description,
    )

# --- Parcels -----------------------------------------------------------------------------------------


class ParcelFacts(Payload):
    number: str  # <order number>-<parcel sequence>
    order_id: int
    order_number: str
    warehouse: str


class ParcelOpened(ParcelFacts):
    status: str
    suggested_box: str | None = None


class PackedLine(Payload):
    sku: str
    quantity: int


class ParcelPacked(TransitionPayload, ParcelFacts):
    box: str
    suggested_box: str | None = None
    weight_g: int
    lines: list[PackedLine]


class ParcelMoved(TransitionPayload, ParcelFacts):
    reason: str = ""


class ParcelMispicked(ParcelFacts):
    code: str  # what was scanned
    sku: str  # the product it is (not one the order still needs)
    outcome: str  # wrong_item


define(
    "parcel.opened",
    subject="parcel",
    payload=ParcelOpened,
    description="A parcel was opened on the packing table for an order (with the suggested box).",
)
define(
    "parcel.packed",
    subject="parcel",
    payload=ParcelPacked,
    description="The parcel was closed: scan-verified lines, the box used and its weight; shipping takes it.",
)
define(
    "parcel.cancelled",
    subject="parcel",
    payload=ParcelMoved,
    description="An open parcel was put aside; its items go back to the tote.",
)
define(
    "parcel.reopened",
    subject="parcel",
    payload=ParcelMoved,
    description="A packed parcel was opened again (wrong box, an item to add).",
)
define(
    "parcel.mispicked",
    subject="parcel",
    payload=ParcelMispicked,
    description="A product the order does not need was scanned at the packing table (refused).",
)
