"""Fixtures of the shipping tests: the fulfilment shop (warehouses, products, COD orders), the seeded
carriers, packed parcels built through the fulfilment services, and the fake carrier servers."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps

from orderloop.fulfillment import services as fulfillment
from orderloop.fulfillment.models import Parcel, PickList
from orderloop.orders.models import Order
from tests.fulfillment.conftest import Shop, boxes, ready_order, shop  # noqa: F401  (fixtures)
from tests.orders.conftest import methods  # noqa: F401  (fixture)

from .fake_carriers import FakeNovaPoshta, FakePostNord

SEED = import_module("orderloop.shipping.migrations.0002_seed_carriers_services_and_delivery_mapping")
SEED_NAMES = import_module("orderloop.shipping.migrations.0003_translated_carrier_and_service_names")
WEBHOOK_SECRET = "whsec-shipping-tests"


@pytest.fixture
def carriers(methods: None) -> None:  # noqa: F811
    SEED.seed(apps, None)  # transactional tests flush the seeded rows
    SEED_NAMES.translate_seeded(apps, None)


def pack_order(order: Order, *, warehouse: str = "kyiv", weight: int = 900, box: str = "m") -> list[Parcel]:
    """Release a single-order wave, pick every row by its barcode and pack everything into one parcel."""
    wave = fulfillment.wave_release(
        method="single", warehouse_code=warehouse, order_numbers=[order.number], actor=None
    )
    from orderloop.fulfillment import selectors

    for pick_list in PickList.objects.filter(wave=wave):
        for row in selectors.pick_rows(pick_list):
            if row.remaining:
                assert fulfillment.pick_confirm(
                    pick_list_id=pick_list.pk, code=row.barcode, actor=None
                ).accepted
    parcel = fulfillment.parcel_open(order_id=order.pk, warehouse_code=warehouse, actor=None)
    for line in order.lines.all():
        for _unit in range(line.quantity):
            assert fulfillment.parcel_scan(
                parcel_id=parcel.pk, code=line.variant.barcode, actor=None
            ).accepted
    fulfillment.parcel_pack(parcel_id=parcel.pk, box_code=box, weight_g=weight, actor=None)
    assert Order.objects.get(pk=order.pk).status == "packed"
    return list(Parcel.objects.filter(order=order, status="packed"))


@pytest.fixture
def packed(shop: Shop, ready_order: Any, carriers: None) -> Callable[..., tuple[Order, Parcel]]:  # noqa: F811
    """A packed COD order (TEE × 1, SOCKS × 2 by default) and its one parcel."""

    def make(*lines: tuple[str, int], **overrides: Any) -> tuple[Order, Parcel]:
        order = ready_order(*(lines or (("TEE", 1), ("SOCKS", 2))), **overrides)
        parcels = pack_order(order)
        return Order.objects.get(pk=order.pk), parcels[0]

    return make


def _carrier_settings(settings: Any, name: str, values: dict[str, Any]) -> None:
    orderloop = copy.deepcopy(settings.ORDERLOOP)
    orderloop.setdefault("CARRIERS", {}).setdefault(name, {}).update(values)
    settings.ORDERLOOP = orderloop


@pytest.fixture
def fake_np(settings: Any) -> Iterator[FakeNovaPoshta]:
    fake = FakeNovaPoshta().start()
    _carrier_settings(
        settings,
        "nova_poshta",
        {
            "API_URL": fake.url + "/v2.0/json/",
            "API_KEY": fake.api_key,
            "SENDER_REF": "sender-ref",
            "SENDER_CITY_REF": "city-ref-kyiv",
            "SENDER_ADDRESS_REF": "sender-warehouse-ref",
            "SENDER_CONTACT_REF": "contact-ref",
            "SENDER_PHONE": "+380441234567",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )
    yield fake
    fake.stop()


@pytest.fixture
def fake_pn(settings: Any) -> Iterator[FakePostNord]:
    fake = FakePostNord().start()
    _carrier_settings(
        settings,
        "postnord",
        {
            "API_URL": fake.url,
            "API_KEY": fake.api_key,
            "CUSTOMER_NUMBER": "1234567890",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )
    yield fake
    fake.stop()
