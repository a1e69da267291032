"""Fulfilment services on the real database: the queue, releasing waves per picking method, picking by
scanning (batch sorting into totes), short picks (re-allocated or backordered), scan-verified packing
with mis-pick records, box choice, parcels, partial fulfilment, pick accuracy and the documents."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from orderloop.core.errors import InvalidInput
from orderloop.fulfillment import documents, selectors, services
from orderloop.fulfillment.errors import (
    NothingToPack,
    NothingToPick,
    OrderNotInWarehouse,
    ParcelEmpty,
    ParcelNotOpen,
    ParcelTooHeavy,
    PickListTaken,
)
from orderloop.fulfillment.models import (
    BoxSize,
    EventKind,
    FulfilmentEvent,
    Parcel,
    ParcelStatus,
    PickList,
    PickListStatus,
    PickTask,
    ScanOutcome,
    ScanRecord,
    Tote,
    WaveStatus,
)
from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders import services as order_services
from orderloop.orders.models import EventKind as OrderEventKind
from orderloop.orders.models import LineAllocation, Order, OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


def queue(shop, warehouse=None) -> list[str]:
    return list(selectors.ready_orders(warehouse=warehouse or shop.kyiv).values_list("number", flat=True))


def release(method="single", **kwargs):
    kwargs.setdefault("warehouse_code", "kyiv")
    return services.wave_release(method=method, actor=None, **kwargs)


def status(order) -> str:
    return Order.objects.get(pk=order.pk).status


def pick_all(pick_list: PickList, actor=None) -> None:
    """Confirm every row of the list by scanning its product barcode."""
    for row in selectors.pick_rows(pick_list):
        if row.remaining:
            result = services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=actor)
            assert result.accepted, row


def pack(order, barcodes, *, box="m", weight=900, warehouse="kyiv"):
    parcel = services.parcel_open(order_id=order.pk, warehouse_code=warehouse, actor=None)
    for code in barcodes:
        assert services.parcel_scan(parcel_id=parcel.pk, code=code, actor=None).accepted
    return services.parcel_pack(parcel_id=parcel.pk, box_code=box, weight_g=weight, actor=None)


def barcode(shop, sku: str) -> str:
    return shop.variants[sku].barcode


# --- The queue ----------------------------------------------------------------------------------------


def test_queue_is_express_first_then_promised_date_then_age(shop, ready_order):
    oldest = ready_order(("TEE", 1))
    later_promise = ready_order(("TEE", 1))
    sooner_promise = ready_order(("TEE", 1))
    express = ready_order(("TEE", 1), priority="express")
    no_promise = ready_order(("TEE", 1))
    today = timezone.localdate()
    Order.objects.filter(pk=later_promise.pk).update(promised_date=today + timedelta(days=4))
    Order.objects.filter(pk=sooner_promise.pk).update(promised_date=today + timedelta(days=2))
    Order.objects.filter(pk__in=[oldest.pk]).update(promised_date=today + timedelta(days=4))
    Order.objects.filter(pk=no_promise.pk).update(promised_date=None)  # e.g. placed while backordered
    assert queue(shop) == [
        express.number,
        sooner_promise.number,
        oldest.number,  # same promised date as later_promise, but placed first
        later_promise.number,
        no_promise.number,
    ]


def test_only_orders_ready_by_payment_hold_risk_and_stock_are_queued(shop, ready_order):
    cod = ready_order(("TEE", 1))
    ready_order(("TEE", 1), confirm=False)  # new: not confirmed yet
    unpaid_card = ready_order(("TEE", 1), payment_method_code="card")  # awaiting payment
    assert status(unpaid_card) == OrderStatus.AWAITING_PAYMENT
    held = ready_order(("TEE", 1))
    order_services.order_hold(order_id=held.pk, actor=None, reason="customer called")
    flagged = ready_order(("TEE", 1))
    Order.objects.filter(pk=flagged.pk).update(risk_flags=[{"code": "duplicate_order", "params": {}}])
    reviewed = ready_order(("TEE", 1))
    Order.objects.filter(pk=reviewed.pk).update(
        risk_flags=[{"code": "duplicate_order", "params": {}}], risk_reviewed_at=timezone.now()
    )
    paid_card = ready_order(("TEE", 1), payment_method_code="card")
    order_services.order_transition(order_id=paid_card.pk, to=OrderStatus.PAID, actor=None)
    assert set(queue(shop)) == {cod.number, reviewed.number, paid_card.number}
    blocker = services.domain.readiness_blocker(selectors.readiness_facts(Order.objects.get(pk=flagged.pk)))
    assert blocker == "risk_review_required"


def test_backordered_orders_wait(shop, ready_order, make_variant):
    from orderloop.catalog.models import Variant

    variant = Variant.objects.get(sku="CAP")
    variant.product.allow_backorder = True
    variant.product.save(update_fields=["allow_backorder"])
    waiting = ready_order(("CAP", 5), confirm=False)  # 1 in Kyiv + 3 in Lviv, 1 backordered
    assert status(waiting) == OrderStatus.AWAITING_STOCK
    assert queue(shop) == [] and queue(shop, shop.lviv) == []


# --- Releasing waves ------------------------------------------------------------------------------------


def test_single_order_wave_moves_orders_to_picking_with_events(shop, ready_order):
    first = ready_order(("JEANS", 1), ("TEE", 2))
    second = ready_order(("SOCKS", 3))
    wave = release("single")
    assert wave.order_count == 2 and wave.status == WaveStatus.RELEASED
    lists = list(wave.pick_lists.order_by("sequence"))
    assert len(lists) == 2
    rows = selectors.pick_rows(lists[0])
    assert [(row.bin_code, row.sku, row.quantity) for row in rows] == [
        ("A-01-01-01", "TEE", 2),
        ("B-01-01-01", "JEANS", 1),
    ]
    assert rows[0].attributes == {"size": "M", "colour": "Red"}
    assert status(first) == status(second) == OrderStatus.PICKING
    event = OrderEvent.objects.filter(order=first, kind=OrderEventKind.STATUS_CHANGE).last()
    assert (event.from_status, event.to_status, event.reason) == (
        "confirmed",
        "picking",
        f"wave {wave.number}",
    )
    assert queue(shop) == []
    with pytest.raises(NothingToPick):
        release("single")
    assert FulfilmentEvent.objects.filter(wave=wave, to_status="released").count() == 1


def test_batch_wave_puts_n_orders_on_one_list_with_a_tote_each(shop, ready_order):
    orders = [ready_order(("TEE", 1), ("SOCKS", 1)) for _ in range(5)]
    wave = release("batch", batch_size=2)
    lists = list(wave.pick_lists.order_by("sequence"))
    assert [pl.batch for pl in lists] == [1, 2, 3]
    totes = selectors.totes_of(wave)
    assert [(t.order_id, t.batch, t.slot) for t in totes] == [
        (orders[0].pk, 1, 1),
        (orders[1].pk, 1, 2),
        (orders[2].pk, 2, 1),
        (orders[3].pk, 2, 2),
        (orders[4].pk, 3, 1),
    ]
    rows = selectors.pick_rows(lists[0])
    assert [(row.sku, row.quantity, [t.tote_code for t in row.totes]) for row in rows] == [
        ("TEE", 2, [totes[0].code, totes[1].code]),
        ("SOCKS", 2, [totes[0].code, totes[1].code]),
    ]


def test_zone_wave_splits_lines_by_zone(shop, ready_order):
    ready_order(("TEE", 1), ("JEANS", 1), ("SOCKS", 1))
    ready_order(("HOODIE", 1), ("BOOTS", 1))
    wave = release("zone")
    lists = list(wave.pick_lists.order_by("sequence"))
    assert [(pl.zone, [r.sku for r in selectors.pick_rows(pl)]) for pl in lists] == [
        ("A", ["TEE", "HOODIE"]),
        ("B", ["JEANS", "BOOTS"]),
        ("C", ["SOCKS"]),
    ]


def test_wave_method_combines_batches_and_zones_and_filters_by_delivery_and_cutoff(shop, ready_order):
    express = ready_order(("TEE", 1), ("JEANS", 1), delivery_method_code="express")
    ready_order(("TEE", 1), ("JEANS", 1), delivery_method_code="express")
    ready_order(("TEE", 1), ("JEANS", 1), delivery_method_code="express")
    door = ready_order(("TEE", 1))
    wave = release("wave", batch_size=2, delivery_method_codes=["express"])
    assert [(pl.batch, pl.zone) for pl in wave.pick_lists.order_by("sequence")] == [
        (1, "A"),
        (1, "B"),
        (2, "A"),
        (2, "B"),
    ]
    assert status(door) == OrderStatus.CONFIRMED
    assert status(express) == OrderStatus.PICKING
    with pytest.raises(NothingToPick):
        release("single", placed_before=door.created_at)  # nothing placed before it is left
    assert release("single", placed_before=door.created_at + timedelta(seconds=1)).order_count == 1


def test_release_refuses_bad_input(shop):
    with pytest.raises(InvalidInput) as raised:
        services.wave_release(
            warehouse_code="nowhere",
            method="random",
            batch_size=0,
            delivery_method_codes=["teleport"],
            actor=None,
        )
    assert set(raised.value.details) == {"warehouse", "method", "batch_size", "delivery_methods"}


# --- Picking ---------------------------------------------------------------------------------------------


def test_picks_are_confirmed_by_bin_or_barcode_and_a_wrong_scan_is_refused(shop, ready_order, make_staff):
    picker = make_staff("Warehouse", username="pia")
    order = ready_order(("TEE", 2), ("JEANS", 1))
    wave = release("single")
    pick_list = wave.pick_lists.get()
    wrong = services.pick_confirm(pick_list_id=pick_list.pk, code=barcode(shop, "BOOTS"), actor=picker)
    assert not wrong.accepted and wrong.outcome == ScanOutcome.WRONG_ITEM
    assert ScanRecord.objects.filter(stage="pick", outcome="wrong_item", pick_list=pick_list).count() == 1
    assert PickTask.objects.filter(pick_list=pick_list, quantity_picked__gt=0).count() == 0

    by_bin = services.pick_confirm(
        pick_list_id=pick_list.pk, code="a-01-01-01", actor=picker
    )  # the bin label
    assert (by_bin.accepted, by_bin.sku, by_bin.units) == (True, "TEE", 2)
    pick_list.refresh_from_db()
    assert pick_list.status == PickListStatus.IN_PROGRESS and pick_list.picker == picker
    wave.refresh_from_db()
    assert wave.status == WaveStatus.PICKING
    other = make_staff("Warehouse", username="olek")
    with pytest.raises(PickListTaken):
        services.pick_confirm(pick_list_id=pick_list.pk, code=barcode(shop, "JEANS"), actor=other)
    services.pick_confirm(pick_list_id=pick_list.pk, code=barcode(shop, "JEANS"), actor=picker)
    pick_list.refresh_from_db()
    wave.refresh_from_db()
    assert pick_list.status == PickListStatus.DONE and wave.status == WaveStatus.PICKED
    assert status(order) == OrderStatus.PICKING


def test_batch_picks_are_sorted_into_totes_in_queue_order(shop, ready_order):
    first = ready_order(("TEE", 2))
    second = ready_order(("TEE", 1))
    third = ready_order(("TEE", 3))
    pick_list = release("batch", batch_size=3).pick_lists.get()
    result = services.pick_confirm(
        pick_list_id=pick_list.pk, code=barcode(shop, "TEE"), quantity=4, actor=None
    )
    totes = {tote.order_id: tote.code for tote in Tote.objects.all()}
    assert result.totes == [
        (totes[first.pk], first.number, 2),
        (totes[second.pk], second.number, 1),
        (totes[third.pk], third.number, 1),
    ]
    [row] = selectors.pick_rows(pick_list)
    assert (row.picked, row.remaining) == (4, 2)
    assert [t.remaining for t in row.totes] == [0, 0, 2]


def test_short_pick_reallocates_to_another_warehouse(shop, ready_order):
    order = ready_order(("CAP", 1), ("TEE", 1))  # the only Kyiv cap is not in its bin
    pick_list = release("single").pick_lists.get()
    cap_row = next(row for row in selectors.pick_rows(pick_list) if row.sku == "CAP")
    result = services.pick_short(pick_list_id=pick_list.pk, stock_id=cap_row.stock_id, found=0, actor=None)
    assert (result.short, result.reallocated, result.backordered) == (1, [("lviv", 1)], 0)
    kyiv = StockLevel.objects.get(variant__sku="CAP", warehouse=shop.kyiv)
    lviv = StockLevel.objects.get(variant__sku="CAP", warehouse=shop.lviv)
    assert (kyiv.on_hand, kyiv.reserved) == (0, 0)  # written off: not there
    assert (lviv.on_hand, lviv.reserved) == (3, 1)
    assert StockMovement.objects.filter(stock=kyiv, note__startswith="short pick").count() == 1
    assert ledger_mismatches() == []
    edit = OrderEvent.objects.filter(order=order, kind=OrderEventKind.EDIT).last()
    assert edit.data["changes"][0]["action"] == "short_pick"
    assert edit.data["changes"][0]["reallocated"] == [{"warehouse": "lviv", "quantity": 1}]
    assert FulfilmentEvent.objects.filter(kind=EventKind.SHORT_PICK, order=order).count() == 1
    # The cap is now picked in Lviv: the order waits in Lviv's queue, still picking.
    assert queue(shop, shop.lviv) == [order.number]
    assert status(order) == OrderStatus.PICKING
    lviv_list = release("single", warehouse_code="lviv").pick_lists.get()
    assert [row.sku for row in selectors.pick_rows(lviv_list)] == ["CAP"]


def test_short_pick_backorders_and_the_rest_ships_now(shop, ready_order):
    order = ready_order(("HOODIE", 2), ("TEE", 1))
    pick_list = release("single").pick_lists.get()
    rows = {row.sku: row for row in selectors.pick_rows(pick_list)}
    services.pick_confirm(pick_list_id=pick_list.pk, code=barcode(shop, "TEE"), actor=None)
    result = services.pick_short(
        pick_list_id=pick_list.pk, stock_id=rows["HOODIE"].stock_id, found=1, actor=None
    )
    assert (result.found, result.short, result.reallocated, result.backordered) == (1, 1, [], 1)
    hoodie = Order.objects.get(pk=order.pk).lines.get(sku="HOODIE")
    assert hoodie.quantity_backordered == 1
    assert status(order) == OrderStatus.PICKING  # the hoodie and the tee wait at the packing table
    pack(order, [barcode(shop, "HOODIE"), barcode(shop, "TEE")])
    assert status(order) == OrderStatus.AWAITING_STOCK  # partial: one hoodie follows later
    last = OrderEvent.objects.filter(order=order, kind=OrderEventKind.STATUS_CHANGE).last()
    assert (last.from_status, last.to_status, last.reason) == (
        "picking",
        "awaiting_stock",
        "partially_fulfilled",
    )
    assert Parcel.objects.get(order=order).status == ParcelStatus.PACKED
    assert ledger_mismatches() == []


def test_an_order_with_nothing_found_waits_for_stock(shop, ready_order):
    order = ready_order(("HOODIE", 1))
    pick_list = release("single").pick_lists.get()
    [row] = selectors.pick_rows(pick_list)
    services.pick_short(pick_list_id=pick_list.pk, stock_id=row.stock_id, found=0, actor=None)
    assert status(order) == OrderStatus.AWAITING_STOCK
    assert not Tote.objects.filter(order=order, is_open=True).exists()
    assert PickList.objects.get(pk=pick_list.pk).wave.status == WaveStatus.CLOSED


# --- Packing ---------------------------------------------------------------------------------------------


def test_packing_by_scanning_refuses_wrong_items_and_too_many_and_records_mispicks_only_wrong_items(
    shop, ready_order, make_staff
):
    packer = make_staff("Warehouse", username="paula")
    order = ready_order(("TEE", 2), ("SOCKS", 1))
    pick_all(release("single").pick_lists.get())
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=packer)
    assert parcel.status == ParcelStatus.OPEN and parcel.suggested_box.code == "s"
    assert services.parcel_scan(parcel_id=parcel.pk, code=barcode(shop, "TEE"), actor=packer).accepted
    wrong = services.parcel_scan(parcel_id=parcel.pk, code=barcode(shop, "BOOTS"), actor=packer)
    assert (wrong.accepted, wrong.outcome, wrong.is_mispick) == (False, ScanOutcome.WRONG_ITEM, True)
    assert services.parcel_scan(parcel_id=parcel.pk, code="tee", actor=packer).accepted  # the SKU works too
    too_many = services.parcel_scan(parcel_id=parcel.pk, code=barcode(shop, "TEE"), actor=packer)
    assert (too_many.accepted, too_many.outcome) == (False, ScanOutcome.TOO_MANY)
    unknown = services.parcel_scan(parcel_id=parcel.pk, code="NOPE-123", actor=packer)
    assert (unknown.outcome, unknown.is_mispick) == (ScanOutcome.UNKNOWN_CODE, False)
    assert services.parcel_scan(parcel_id=parcel.pk, code=barcode(shop, "SOCKS"), actor=packer).accepted

    refused = ScanRecord.objects.filter(stage="pack").exclude(outcome="accepted")
    assert [(m.outcome, m.code, m.actor, m.is_mispick) for m in refused.order_by("id")] == [
        ("wrong_item", barcode(shop, "BOOTS"), packer, True),
        ("too_many", barcode(shop, "TEE"), packer, False),
        ("unknown_code", "NOPE-123", packer, False),
    ]
    # Only the wrong product is a mis-pick; the over-scan and the unknown code are refused, not blamed.
    assert FulfilmentEvent.objects.filter(kind=EventKind.MISPICK, parcel=parcel).count() == 1
    assert not too_many.is_mispick
    assert list(parcel.lines.order_by("line__position").values_list("line__sku", "quantity")) == [
        ("TEE", 2),
        ("SOCKS", 1),
    ]

    accuracy = selectors.pick_accuracy()
    assert (accuracy.accepted_units, accuracy.wrong_items, accuracy.too_many, accuracy.unknown_codes) == (
        3,
        1,
        1,
        1,
    )
    assert accuracy.mispicks == 1
    assert accuracy.accuracy == Decimal("0.7500") and accuracy.percent == Decimal("75.00")

    with pytest.raises(ParcelTooHeavy):
        services.parcel_pack(parcel_id=parcel.pk, box_code="s", weight_g=5200, actor=packer)
    packed = services.parcel_pack(parcel_id=parcel.pk, box_code="s", weight_g=620, actor=packer)
    assert (packed.status, packed.box.code, packed.weight_g, packed.packed_by) == ("packed", "s", 620, packer)
    assert status(order) == OrderStatus.PACKED
    last = OrderEvent.objects.filter(order=order, kind=OrderEventKind.STATUS_CHANGE).last()
    assert (last.from_status, last.to_status) == ("picking", "packed")
    with pytest.raises(ParcelNotOpen):
        services.parcel_scan(parcel_id=parcel.pk, code=barcode(shop, "TEE"), actor=packer)
    assert not Tote.objects.filter(order=order, is_open=True).exists()
    assert Parcel.objects.get(pk=parcel.pk).lines.count() == 2
    # Nothing is left to pack; the reservations stay until shipping takes the parcel.
    with pytest.raises(OrderNotInWarehouse):
        services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=packer)
    assert StockLevel.objects.get(variant__sku="TEE", warehouse=shop.kyiv).reserved == 2


def test_pick_accuracy_can_be_limited_to_a_period_and_warehouse(shop, ready_order):
    order = ready_order(("TEE", 1))
    pick_all(release("single").pick_lists.get())
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    services.parcel_scan(parcel_id=parcel.pk, code=barcode(shop, "SOCKS"), actor=None)
    services.parcel_scan(parcel_id=parcel.pk, code=barcode(shop, "TEE"), actor=None)
    assert selectors.pick_accuracy(warehouse_code="kyiv").accuracy == Decimal("0.5000")
    assert selectors.pick_accuracy(warehouse_code="lviv").accuracy is None
    tomorrow = timezone.now() + timedelta(days=1)
    assert selectors.pick_accuracy(since=tomorrow).accepted_units == 0


def test_two_boots_fit_no_box_together_so_the_order_goes_in_two_parcels(shop, ready_order):
    BoxSize.objects.filter(code="xl").update(is_active=False)  # this shop uses S, M and L
    order = ready_order(("BOOTS", 2))
    pick_all(release("single").pick_lists.get())
    view = selectors.packing_view(order=order, warehouse=shop.kyiv)
    assert [(p.box.code, len(p.items)) for p in view.box_plan] == [("l", 1), ("l", 1)]
    first = pack(order, [barcode(shop, "BOOTS")], box="l", weight=2100)
    assert status(order) == OrderStatus.PICKING  # one pair still on the table
    second = pack(order, [barcode(shop, "BOOTS")], box="l", weight=2050)
    assert (first.sequence, second.sequence) == (1, 2)
    assert status(order) == OrderStatus.PACKED
    assert [p.number for p in Parcel.objects.filter(order=order)] == [
        f"{order.number}-1",
        f"{order.number}-2",
    ]


def test_an_empty_parcel_is_not_packed_and_nothing_picked_is_nothing_to_pack(shop, ready_order):
    order = ready_order(("TEE", 1))
    pick_list = release("single").pick_lists.get()
    with pytest.raises(NothingToPack):
        services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    pick_all(pick_list)
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    assert services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None).pk == parcel.pk
    with pytest.raises(ParcelEmpty):
        services.parcel_pack(parcel_id=parcel.pk, box_code="s", weight_g=300, actor=None)
    with pytest.raises(InvalidInput) as raised:
        services.parcel_pack(parcel_id=parcel.pk, box_code="crate", weight_g=0, actor=None)
    assert set(raised.value.details) == {"box", "weight_g"}
    assert Parcel.objects.get(pk=parcel.pk).status == ParcelStatus.OPEN


def test_packing_view_shows_notes_gifts_and_what_other_zones_still_pick(shop, ready_order):
    from orderloop.orders.domain import LineData

    order = ready_order(
        lines=[LineData(sku="TEE", quantity=1, note="Iron before packing"), LineData(sku="JEANS", quantity=1)]
    )
    Order.objects.filter(pk=order.pk).update(thank_you_note=True)
    order.lines.filter(sku="JEANS").update(is_gift=True)
    wave = release("zone")
    zone_a = wave.pick_lists.get(zone="A")
    pick_all(zone_a)
    view = selectors.packing_view(order=Order.objects.get(pk=order.pk), warehouse=shop.kyiv)
    assert view.waiting_zones == ["B"]
    assert view.order.thank_you_note
    assert [pl.line.sku for pl in view.gift_lines] == ["JEANS"]
    assert [pl.line.note for pl in view.noted_lines] == ["Iron before packing"]
    assert [(pl.line.sku, pl.to_pack, pl.to_pick) for pl in view.lines] == [("TEE", 1, 0), ("JEANS", 0, 1)]


def test_reopening_a_packed_parcel_takes_the_order_back_to_picking(shop, ready_order):
    order = ready_order(("TEE", 1))
    pick_all(release("single").pick_lists.get())
    parcel = pack(order, [barcode(shop, "TEE")], box="s", weight=300)
    assert status(order) == OrderStatus.PACKED
    services.parcel_reopen(parcel_id=parcel.pk, actor=None, reason="wrong box")
    assert status(order) == OrderStatus.PICKING
    services.parcel_pack(parcel_id=parcel.pk, box_code="m", weight_g=350, actor=None)
    assert status(order) == OrderStatus.PACKED
    assert list(
        FulfilmentEvent.objects.filter(parcel=parcel).order_by("id").values_list("from_status", "to_status")
    ) == [("", "open"), ("open", "packed"), ("packed", "open"), ("open", "packed")]


# --- Documents ---------------------------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_packing_slip_is_in_the_customers_language(shop, ready_order):
    from orderloop.orders.domain import LineData
    from tests.orders.helpers import customer

    call_command("compile_translations", verbosity=0)
    product = shop.variants["TEE"].product
    product.name_translations = {"uk": "Футболка Аврора"}
    product.save(update_fields=["name_translations"])
    order = ready_order(
        lines=[LineData(sku="TEE", quantity=1), LineData(sku="SOCKS", quantity=2)],
        customer=customer(name="Олена Шевченко", phone="+380501112233", language="uk"),
    )
    Order.objects.filter(pk=order.pk).update(thank_you_note=True)
    pick_all(release("single").pick_lists.get())
    parcel = pack(order, [barcode(shop, "TEE")], box="s", weight=300)
    text = pdf_text(documents.render_packing_slip_pdf(parcel))
    assert order.number in text and "Олена Шевченко" in text
    assert "Замовлення" in text  # "Order" in Ukrainian
    assert "Футболка Аврора" in text
    assert "SOCKS" in text  # still to come in another parcel


def test_pick_list_pdf_lists_rows_in_route_order(shop, ready_order):
    ready_order(("JEANS", 1), ("TEE", 2), ("SOCKS", 1))
    pick_list = release("single").pick_lists.get()
    text = pdf_text(documents.render_pick_list_pdf(pick_list))
    assert pick_list.code in text
    positions = [text.index(code) for code in ("A-01-01-01", "B-01-01-01", "C-01-01-01")]
    assert positions == sorted(positions)
    assert "M / Red" in text


def test_bank_transfer_orders_get_their_invoice_in_the_parcel(shop, ready_order):
    from orderloop.payments import services as payment_services

    order = ready_order(("TEE", 1), payment_method_code="bank_transfer")
    invoice = payment_services.invoice_issue(order_id=order.pk, actor=None)
    payment_services.payment_record_transfer(order_id=order.pk, amount=str(order.total_amount), actor=None)
    assert status(order) == OrderStatus.PAID
    pick_all(release("single").pick_lists.get())
    view = selectors.packing_view(order=Order.objects.get(pk=order.pk), warehouse=shop.kyiv)
    assert view.needs_invoice and view.invoice.number == invoice.number
    cod = ready_order(("TEE", 1))
    assert not selectors.packing_view(order=cod, warehouse=shop.kyiv).needs_invoice


def test_the_ledger_and_reservations_stay_consistent_through_a_wave(shop, ready_order):
    orders = [ready_order(("TEE", 1), ("SOCKS", 1)) for _ in range(3)]
    wave = release("batch", batch_size=3)
    pick_all(wave.pick_lists.get())
    for order in orders:
        pack(order, [barcode(shop, "TEE"), barcode(shop, "SOCKS")], box="s", weight=400)
    assert {status(order) for order in orders} == {OrderStatus.PACKED}
    wave.refresh_from_db()
    assert wave.status == WaveStatus.CLOSED
    assert sum(LineAllocation.objects.values_list("quantity", flat=True)) == 6
    assert ledger_mismatches() == []


def test_orders_transition_moves_many_with_the_same_checks_and_events(shop, ready_order):
    from orderloop.orders.bulk import orders_transition
    from orderloop.orders.errors import OrderNotFound, OrderOnHold

    first, second, held = (ready_order(("TEE", 1)) for _ in range(3))
    order_services.order_hold(order_id=held.pk, actor=None, reason="check address")
    with pytest.raises(OrderOnHold):
        orders_transition(order_ids=[first.pk, second.pk, held.pk], to=OrderStatus.PICKING, actor=None)
    assert {status(first), status(second)} == {OrderStatus.CONFIRMED}  # all or nothing
    with pytest.raises(OrderNotFound):
        orders_transition(order_ids=[first.pk, 999_999], to=OrderStatus.PICKING, actor=None)
    moved = orders_transition(
        order_ids=[second.pk, first.pk], to=OrderStatus.PICKING, actor=None, reason="wave W9"
    )
    assert [order.pk for order in moved] == sorted([first.pk, second.pk])
    for order in (first, second):
        event = OrderEvent.objects.filter(order=order, kind=OrderEventKind.STATUS_CHANGE).last()
        assert (event.from_status, event.to_status, event.reason) == ("confirmed", "picking", "wave W9")


def test_a_cancelled_order_drops_out_of_its_pick_list(shop, ready_order):
    keep = ready_order(("TEE", 1))
    gone = ready_order(("SOCKS", 1))
    pick_list = release("batch", batch_size=2).pick_lists.get()
    order_services.order_cancel(order_id=gone.pk, actor=None, reason="customer changed their mind")
    assert not services.pick_confirm(
        pick_list_id=pick_list.pk, code=barcode(shop, "SOCKS"), actor=None
    ).accepted
    services.pick_confirm(pick_list_id=pick_list.pk, code=barcode(shop, "TEE"), actor=None)
    assert PickList.objects.get(pk=pick_list.pk).status == PickListStatus.DONE
    pack(keep, [barcode(shop, "TEE")], box="s", weight=300)
    assert status(keep) == OrderStatus.PACKED
    assert PickList.objects.get(pk=pick_list.pk).wave.status == WaveStatus.CLOSED
