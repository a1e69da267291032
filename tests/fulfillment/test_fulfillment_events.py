"""Issue 18, the event spine in the warehouse: releasing a wave, claiming and picking its lists, short
picks, packing (opened, mis-picks, packed, cancelled, reopened) each append their domain event in the
same transaction as the change, beside the FulfilmentEvent timeline; a refused move appends nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orderloop.core.events import catalogue, events_of
from orderloop.core.models import DomainEvent
from orderloop.fulfillment import selectors, services
from orderloop.fulfillment.errors import InvalidParcelTransition, ParcelNotOpen
from orderloop.fulfillment.models import FulfilmentEvent, Parcel, PickList, Wave

pytestmark = pytest.mark.django_db


def barcode(ctx: dict[str, Any], sku: str) -> str:
    return str(ctx["shop"].variants[sku].barcode)


def release(ctx: dict[str, Any], *lines: tuple[str, int]) -> tuple[Any, Wave, PickList]:
    order = ctx["ready_order"](*(lines or (("TEE", 1), ("SOCKS", 1))))
    wave = services.wave_release(method="single", warehouse_code="kyiv", actor=ctx["staff"])
    return order, wave, wave.pick_lists.get()


def pick_all(ctx: dict[str, Any], pick_list: PickList) -> None:
    for row in selectors.pick_rows(pick_list):
        if row.remaining:
            assert services.pick_confirm(
                pick_list_id=pick_list.pk, code=row.barcode, actor=ctx["staff"]
            ).accepted


def opened(ctx: dict[str, Any]) -> Parcel:
    order, _wave, pick_list = release(ctx, ("TEE", 1))
    pick_all(ctx, pick_list)
    return services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=ctx["staff"])


def packed(ctx: dict[str, Any]) -> Parcel:
    parcel = opened(ctx)
    assert services.parcel_scan(parcel_id=parcel.pk, code=barcode(ctx, "TEE"), actor=ctx["staff"]).accepted
    return services.parcel_pack(parcel_id=parcel.pk, box_code="s", weight_g=300, actor=ctx["staff"])


def wave_released(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    order, wave, pick_list = release(ctx)
    return (
        "wave",
        wave.pk,
        {
            "number": wave.number,
            "warehouse": "kyiv",
            "method": "single",
            "orders": [order.number],
            "pick_lists": [pick_list.code],
            "units": 2,
            "delivery_methods": [],
        },
    )


def wave_picking(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    _order, wave, pick_list = release(ctx)
    row = selectors.pick_rows(pick_list)[0]
    services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=ctx["staff"])
    return "wave", wave.pk, {"number": wave.number, "from": "released", "to": "picking"}


def wave_picked(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    _order, wave, pick_list = release(ctx)
    pick_all(ctx, pick_list)
    return "wave", wave.pk, {"from": "picking", "to": "picked"}


def wave_closed(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    parcel = packed(ctx)
    wave = Wave.objects.get(totes__order=parcel.order)
    return "wave", wave.pk, {"from": "picked", "to": "closed", "warehouse": "kyiv"}


def pick_list_created(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    _order, wave, pick_list = release(ctx)
    return (
        "pick_list",
        pick_list.pk,
        {"code": pick_list.code, "wave": wave.number, "status": "open", "batch": 1, "zone": "", "units": 2},
    )


def pick_list_claimed(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    _order, _wave, pick_list = release(ctx)
    services.pick_list_claim(pick_list_id=pick_list.pk, actor=ctx["staff"])
    return "pick_list", pick_list.pk, {"code": pick_list.code, "picker": "petro"}


def pick_list_in_progress(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    _order, _wave, pick_list = release(ctx)
    row = selectors.pick_rows(pick_list)[0]
    services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=ctx["staff"])
    return "pick_list", pick_list.pk, {"from": "open", "to": "in_progress", "picker": "petro"}


def pick_list_done(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    _order, _wave, pick_list = release(ctx)
    pick_all(ctx, pick_list)
    return "pick_list", pick_list.pk, {"from": "in_progress", "to": "done"}


def pick_list_short_picked(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    order, _wave, pick_list = release(ctx, ("CAP", 1), ("TEE", 1))  # the only Kyiv cap is not in its bin
    cap = next(row for row in selectors.pick_rows(pick_list) if row.sku == "CAP")
    services.pick_short(pick_list_id=pick_list.pk, stock_id=cap.stock_id, found=0, actor=ctx["staff"])
    return (
        "pick_list",
        pick_list.pk,
        {
            "order_number": order.number,
            "sku": "CAP",
            "short": 1,
            "reallocated": [{"warehouse": "lviv", "quantity": 1}],
            "backordered": 0,
            "reason": "not_found",
        },
    )


def parcel_opened(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    parcel = opened(ctx)
    return (
        "parcel",
        parcel.pk,
        {"number": parcel.number, "order_number": parcel.order.number, "status": "open"},
    )


def parcel_mispicked(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    parcel = opened(ctx)
    assert not services.parcel_scan(
        parcel_id=parcel.pk, code=barcode(ctx, "BOOTS"), actor=ctx["staff"]
    ).accepted
    return "parcel", parcel.pk, {"sku": "BOOTS", "outcome": "wrong_item", "code": barcode(ctx, "BOOTS")}


def parcel_packed(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    parcel = packed(ctx)
    return (
        "parcel",
        parcel.pk,
        {
            "from": "open",
            "to": "packed",
            "box": "s",
            "weight_g": 300,
            "lines": [{"sku": "TEE", "quantity": 1}],
        },
    )


def parcel_cancelled(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    parcel = opened(ctx)
    services.parcel_cancel(parcel_id=parcel.pk, actor=ctx["staff"], reason="torn box")
    return "parcel", parcel.pk, {"from": "open", "to": "cancelled", "reason": "torn box"}


def parcel_reopened(ctx: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    parcel = packed(ctx)
    services.parcel_reopen(parcel_id=parcel.pk, actor=ctx["staff"], reason="wrong box")
    return "parcel", parcel.pk, {"from": "packed", "to": "open", "reason": "wrong box"}


SCENARIOS: dict[str, Callable[[dict[str, Any]], tuple[str, Any, dict[str, Any]]]] = {
    "wave.released": wave_released,
    "wave.picking": wave_picking,
    "wave.picked": wave_picked,
    "wave.closed": wave_closed,
    "pick_list.created": pick_list_created,
    "pick_list.claimed": pick_list_claimed,
    "pick_list.in_progress": pick_list_in_progress,
    "pick_list.done": pick_list_done,
    "pick_list.short_picked": pick_list_short_picked,
    "parcel.opened": parcel_opened,
    "parcel.mispicked": parcel_mispicked,
    "parcel.packed": parcel_packed,
    "parcel.cancelled": parcel_cancelled,
    "parcel.reopened": parcel_reopened,
}


def test_every_fulfilment_event_type_has_a_scenario() -> None:
    ours = [name for name in catalogue() if name.split(".")[0] in {"wave", "pick_list", "parcel"}]
    assert sorted(SCENARIOS) == sorted(ours)


@pytest.mark.parametrize("event_type", sorted(SCENARIOS))
def test_each_change_appends_its_event(event_type: str, shop: Any, ready_order: Any, make_staff: Any) -> None:
    ctx = {"shop": shop, "ready_order": ready_order, "staff": make_staff("Manager", username="petro")}
    subject, subject_id, expected = SCENARIOS[event_type](ctx)
    history = events_of(subject, subject_id)
    assert [e.sequence for e in history] == list(range(1, len(history) + 1))
    (event,) = [e for e in history if e.type == event_type]
    for key, value in expected.items():
        assert event.data[key] == value, key
    assert (event.actor_kind, event.actor_name) == ("staff", "petro")
    if "to" in expected:
        # The readable timeline has the same move.
        timeline = FulfilmentEvent.objects.filter(**{subject: subject_id}, to_status=expected["to"])
        assert timeline.filter(from_status=expected["from"]).exists()


def test_a_refused_move_appends_nothing(shop: Any, ready_order: Any, make_staff: Any) -> None:
    ctx = {"shop": shop, "ready_order": ready_order, "staff": make_staff("Manager", username="petro")}
    parcel = packed(ctx)
    before = DomainEvent.objects.count()
    with pytest.raises(InvalidParcelTransition) as refused:
        services.parcel_cancel(parcel_id=parcel.pk, actor=None)
    assert refused.value.code == "invalid_parcel_transition"
    with pytest.raises(ParcelNotOpen):
        services.parcel_pack(parcel_id=parcel.pk, box_code="m", weight_g=400, actor=None)
    assert DomainEvent.objects.count() == before
    assert Parcel.objects.get(pk=parcel.pk).status == "packed"
