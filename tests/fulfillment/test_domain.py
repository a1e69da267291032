"""Pure fulfilment rules: readiness and queue order, route ordering, zone splitting, batches and batch
sorting, box choice (rotation, weight, nothing fits → two parcels), scans and pick accuracy, and the
status machines. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from orderloop.fulfillment import domain
from orderloop.fulfillment.domain import Box, Item, PickItem
from orderloop.fulfillment.models import ParcelStatus, PickListStatus, ScanOutcome, WaveStatus


def item(
    line: int, order: int, *, zone: str, aisle: str, shelf: str, bin: str, route: int | None, sku: str = "X"
):
    return PickItem(
        line_id=line,
        order_id=order,
        stock_id=line,
        variant_id=line,
        sku=sku,
        quantity=1,
        bin_code=f"{zone}-{aisle}-{shelf}-{bin}" if route is not None else "",
        zone=zone,
        aisle=aisle,
        shelf=shelf,
        bin=bin,
        route_order=route,
    )


# --- Route ordering --------------------------------------------------------------------------------


def test_route_order_follows_the_walk_not_the_order_of_the_lines() -> None:
    walk = [
        item(1, 1, zone="B", aisle="1", shelf="1", bin="1", route=300),
        item(2, 1, zone="A", aisle="2", shelf="1", bin="4", route=120),
        item(3, 2, zone="A", aisle="1", shelf="2", bin="1", route=20),
        item(4, 2, zone="C", aisle="1", shelf="1", bin="1", route=None),  # no bin: last
        item(5, 3, zone="A", aisle="2", shelf="1", bin="1", route=150),  # aisle 2 is walked backwards
    ]
    assert [i.line_id for i in domain.route_sorted(walk)] == [3, 2, 5, 1, 4]


def test_same_route_position_falls_back_to_zone_aisle_shelf_bin_with_numbers_as_numbers() -> None:
    walk = [
        item(1, 1, zone="A", aisle="10", shelf="1", bin="1", route=0),
        item(2, 1, zone="A", aisle="9", shelf="1", bin="1", route=0),
        item(3, 1, zone="A", aisle="9", shelf="1", bin="2", route=0),
        item(4, 1, zone="A", aisle="9", shelf="1", bin="10", route=0),
        item(5, 1, zone="A", aisle="9", shelf="2", bin="1", route=0),
    ]
    assert [i.line_id for i in domain.route_sorted(walk)] == [2, 3, 4, 5, 1]


# --- Zone splitting and batches ---------------------------------------------------------------------


def test_zone_splitting_gives_each_zone_its_lines_in_route_order() -> None:
    lines = [
        item(1, 1, zone="B", aisle="1", shelf="1", bin="2", route=220),
        item(2, 1, zone="A", aisle="1", shelf="1", bin="1", route=10),
        item(3, 2, zone="B", aisle="1", shelf="1", bin="1", route=210),
        item(4, 2, zone="A", aisle="3", shelf="1", bin="1", route=90),
        item(5, 3, zone="C", aisle="1", shelf="1", bin="1", route=400),
    ]
    zones = domain.split_by_zone(lines)
    assert list(zones) == ["A", "B", "C"]
    assert [i.line_id for i in zones["A"]] == [2, 4]
    assert [i.line_id for i in zones["B"]] == [3, 1]
    assert [i.line_id for i in zones["C"]] == [5]


def test_batches_keep_the_queue_order() -> None:
    assert domain.make_batches([7, 3, 9, 1, 5], 2) == [[7, 3], [9, 1], [5]]
    with pytest.raises(ValueError):
        domain.make_batches([1], 0)


def _wave_items() -> list[PickItem]:
    return [
        item(11, 101, zone="A", aisle="1", shelf="1", bin="1", route=10),
        item(12, 101, zone="B", aisle="1", shelf="1", bin="1", route=200),
        item(21, 102, zone="A", aisle="2", shelf="1", bin="1", route=40),
        item(31, 103, zone="B", aisle="2", shelf="1", bin="1", route=250),
        item(41, 104, zone="A", aisle="1", shelf="1", bin="2", route=15),
    ]


def test_plan_wave_single_batch_zone_and_wave_methods() -> None:
    queue = [103, 101, 102, 104, 999]  # 999 has nothing here: no tote
    single = domain.plan_wave(method="single", order_ids=queue, items=_wave_items())
    assert [[i.order_id for i in pl.items] for pl in single.pick_lists] == [[103], [101, 101], [102], [104]]
    assert single.totes == {103: (1, 1), 101: (2, 1), 102: (3, 1), 104: (4, 1)}

    batch = domain.plan_wave(method="batch", order_ids=queue, items=_wave_items(), batch_size=3)
    assert [pl.zone for pl in batch.pick_lists] == ["", ""]
    assert [i.line_id for i in batch.pick_lists[0].items] == [11, 21, 12, 31]  # route order across orders
    assert batch.totes == {103: (1, 1), 101: (1, 2), 102: (1, 3), 104: (2, 1)}

    zone = domain.plan_wave(method="zone", order_ids=queue, items=_wave_items())
    assert [(pl.batch, pl.zone) for pl in zone.pick_lists] == [(1, "A"), (1, "B")]
    assert [i.line_id for i in zone.pick_lists[0].items] == [11, 41, 21]
    assert [i.line_id for i in zone.pick_lists[1].items] == [12, 31]

    wave = domain.plan_wave(method="wave", order_ids=queue, items=_wave_items(), batch_size=2)
    assert [(pl.batch, pl.zone) for pl in wave.pick_lists] == [(1, "A"), (1, "B"), (2, "A")]
    assert {i.order_id for i in wave.pick_lists[2].items} == {102, 104}


# --- Batch sorting -----------------------------------------------------------------------------------


def test_batch_sorting_fills_totes_in_queue_order_and_a_shortage_hits_the_last() -> None:
    demands = [("tote-1", 2), ("tote-2", 1), ("tote-3", 3)]
    assert domain.sort_into_totes(6, demands) == [("tote-1", 2), ("tote-2", 1), ("tote-3", 3)]
    assert domain.sort_into_totes(4, demands) == [("tote-1", 2), ("tote-2", 1), ("tote-3", 1)]
    assert domain.sort_into_totes(1, demands) == [("tote-1", 1), ("tote-2", 0), ("tote-3", 0)]
    assert domain.sort_into_totes(0, demands) == [("tote-1", 0), ("tote-2", 0), ("tote-3", 0)]
    with pytest.raises(ValueError):
        domain.sort_into_totes(7, demands)


# --- Box choice ------------------------------------------------------------------------------------

BOXES = [
    Box("s", 250, 180, 100, max_weight_g=5000),
    Box("m", 350, 250, 150, max_weight_g=10000),
    Box("l", 450, 350, 250, max_weight_g=20000),
]


def test_the_smallest_box_that_fits_is_chosen() -> None:
    tee = Item("tee", 240, 170, 30, weight_g=200)
    assert domain.choose_box([tee], BOXES).code == "s"
    assert domain.choose_box([tee, tee, tee], BOXES).code == "s"  # stacked: 90 mm high
    assert domain.choose_box([tee] * 4, BOXES).code == "m"  # 120 mm: not in S any more


def test_rotation_lets_a_standing_item_lie_down() -> None:
    # 100 × 170 × 240 as measured ("standing"): only fits S when turned on its side.
    standing = Item("box", 100, 170, 240, weight_g=500)
    assert domain.fits_alone(standing, BOXES[0])
    assert domain.choose_box([standing], BOXES).code == "s"
    # Two of them side by side across the width do not fit S (2 × 170 > 180), but stacked they do not
    # either (2 × 100 > 100): M takes them.
    assert domain.choose_box([standing, standing], BOXES).code == "m"


def test_weight_limit_moves_to_a_bigger_box() -> None:
    dumbbell = Item("dumbbell", 200, 100, 80, weight_g=6000)
    assert domain.fits_alone(dumbbell, Box("s", 250, 180, 100))  # measures fit the small box…
    assert domain.choose_box([dumbbell], BOXES).code == "m"  # …its 5 kg limit does not


def test_nothing_fits_everything_so_two_parcels() -> None:
    boots = Item("boots", 440, 340, 140, weight_g=1800)  # each fits L alone (140 ≤ 250)…
    assert domain.choose_box([boots], BOXES).code == "l"
    assert domain.choose_box([boots, boots], BOXES) is None  # …two stacked are 280 mm high
    plan = domain.plan_parcels([boots, Item("boots-2", 440, 340, 140, weight_g=1800)], BOXES)
    assert [(parcel.box.code if parcel.box else None, len(parcel.items)) for parcel in plan] == [
        ("l", 1),
        ("l", 1),
    ]


def test_parcels_split_by_weight_and_small_items_share_the_first_fit() -> None:
    heavy = [Item(f"plate-{n}", 300, 200, 20, weight_g=7000) for n in range(3)]  # 21 kg > L's 20 kg
    socks = Item("socks", 100, 80, 30, weight_g=100)
    plan = domain.plan_parcels([*heavy, socks], BOXES)
    assert len(plan) == 2
    assert sum(len(parcel.items) for parcel in plan) == 4
    assert all(
        sum(i.weight_g for i in parcel.items) <= parcel.box.max_weight_g for parcel in plan if parcel.box
    )


def test_an_item_bigger_than_every_box_travels_alone_without_a_standard_box() -> None:
    bike = Item("bike", 1500, 800, 200, weight_g=12000)
    tee = Item("tee", 240, 170, 30, weight_g=200)
    plan = domain.plan_parcels([bike, tee], BOXES)
    assert [(parcel.box.code if parcel.box else None, [i.key for i in parcel.items]) for parcel in plan] == [
        ("s", ["tee"]),
        (None, ["bike"]),
    ]


def test_unmeasured_items_fit_anywhere_and_nothing_to_pack_is_no_parcel() -> None:
    assert domain.choose_box([Item("gift-card", 0, 0, 0)], BOXES).code == "s"
    assert domain.plan_parcels([], BOXES) == []


# --- Scans and accuracy ----------------------------------------------------------------------------


def test_pack_scan_outcomes() -> None:
    ordered = [1, 2]
    assert domain.pack_scan_outcome(variant_id=1, ordered=ordered, remaining={1: 1}) == ScanOutcome.ACCEPTED
    assert domain.pack_scan_outcome(variant_id=3, ordered=ordered, remaining={1: 1}) == ScanOutcome.WRONG_ITEM
    assert domain.pack_scan_outcome(variant_id=2, ordered=ordered, remaining={1: 1}) == ScanOutcome.TOO_MANY
    assert (
        domain.pack_scan_outcome(variant_id=None, ordered=ordered, remaining={}) == ScanOutcome.UNKNOWN_CODE
    )


def test_codes_match_ignoring_case_and_scanner_noise() -> None:
    assert domain.code_matches(" a-01-02-03\r", "A-01-02-03")
    assert domain.code_matches("4820000000017\t", None, "4820000000017")
    assert not domain.code_matches("", "")
    assert not domain.code_matches("A-01", "A-01-02")


def test_pick_accuracy_figure() -> None:
    assert domain.pick_accuracy(accepted_units=98, mispicks=2) == Decimal("0.9800")
    assert domain.pick_accuracy(accepted_units=2, mispicks=1) == Decimal("0.6667")
    assert domain.pick_accuracy(accepted_units=0, mispicks=0) is None


# --- Readiness and queue --------------------------------------------------------------------------


def facts(**overrides):
    values = dict(
        status="confirmed",
        payment_kind="cod",
        is_prepaid=False,
        payment_state="",
        on_hold=False,
        risk_flagged=False,
        risk_reviewed=False,
        backordered=False,
    )
    return domain.ReadinessFacts(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "blocker"),
    [
        ({}, None),  # cash on delivery, confirmed
        ({"status": "new"}, "status_not_ready"),
        ({"status": "confirmed", "payment_kind": "card", "is_prepaid": True}, "payment_pending"),
        ({"status": "awaiting_payment", "payment_kind": "card", "is_prepaid": True}, "status_not_ready"),
        ({"status": "paid", "payment_kind": "card", "is_prepaid": True, "payment_state": "paid"}, None),
        ({"status": "partially_paid", "payment_kind": "prepayment", "is_prepaid": True}, None),
        (
            {"status": "partially_paid", "payment_kind": "bank_transfer", "is_prepaid": True},
            "payment_pending",
        ),
        ({"status": "awaiting_stock", "payment_kind": "card", "is_prepaid": True}, "payment_pending"),
        (
            {"status": "awaiting_stock", "payment_kind": "card", "is_prepaid": True, "payment_state": "paid"},
            None,
        ),
        ({"on_hold": True}, "order_on_hold"),
        ({"risk_flagged": True}, "risk_review_required"),
        ({"risk_flagged": True, "risk_reviewed": True}, None),
        ({"backordered": True}, "stock_not_reserved"),
    ],
)
def test_readiness(overrides, blocker) -> None:
    assert domain.readiness_blocker(facts(**overrides)) == blocker


def test_queue_express_first_then_promised_date_then_age() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    orders = [
        (1, "normal", date(2026, 1, 5), t0),
        (2, "express", None, t0 + timedelta(hours=5)),
        (3, "normal", None, t0 - timedelta(days=3)),  # oldest, but no promised date
        (4, "normal", date(2026, 1, 3), t0 + timedelta(hours=1)),
        (5, "express", date(2026, 1, 9), t0 + timedelta(hours=9)),
        (6, "normal", date(2026, 1, 3), t0),
    ]
    ranked = sorted(
        orders,
        key=lambda o: domain.queue_key(priority=o[1], promised_date=o[2], created_at=o[3], order_id=o[0]),
    )
    assert [o[0] for o in ranked] == [5, 2, 6, 4, 1, 3]


# --- Status machines ----------------------------------------------------------------------------------


def test_status_tables() -> None:
    assert domain.can_move(domain.WAVE_TRANSITIONS, WaveStatus.RELEASED, WaveStatus.PICKING)
    assert not domain.can_move(domain.WAVE_TRANSITIONS, WaveStatus.CLOSED, WaveStatus.PICKING)
    assert domain.can_move(domain.PICK_LIST_TRANSITIONS, PickListStatus.IN_PROGRESS, PickListStatus.DONE)
    assert not domain.can_move(domain.PICK_LIST_TRANSITIONS, PickListStatus.DONE, PickListStatus.OPEN)
    assert domain.can_move(domain.PARCEL_TRANSITIONS, ParcelStatus.OPEN, ParcelStatus.PACKED)
    assert domain.can_move(domain.PARCEL_TRANSITIONS, ParcelStatus.PACKED, ParcelStatus.OPEN)
    assert not domain.can_move(domain.PARCEL_TRANSITIONS, ParcelStatus.CANCELLED, ParcelStatus.OPEN)
    for table, choices in (
        (domain.WAVE_TRANSITIONS, WaveStatus),
        (domain.PICK_LIST_TRANSITIONS, PickListStatus),
        (domain.PARCEL_TRANSITIONS, ParcelStatus),
    ):
        assert set(table) == set(choices.values)
