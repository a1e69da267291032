"""Pure shipping rules: the monotonic status machine, carrier codes → statuses (unknown codes give
None), what the shipments mean for the order, the courier's route order, own tracking numbers and
webhook signatures."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from orderloop.shipping import domain
from orderloop.shipping.models import AdapterKind

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "new", "later", "moves"),
    [
        ("label_created", "handed_over", True, True),
        ("handed_over", "in_transit", True, True),
        ("in_transit", "at_hub", True, True),
        ("at_hub", "in_transit", True, True),  # left the hub: same stage, later event
        ("at_hub", "in_transit", False, False),  # an older event of the same stage
        ("ready_for_pickup", "at_hub", True, False),  # a lower stage never moves it back
        ("ready_for_pickup", "in_transit", False, False),
        ("out_for_delivery", "failed_attempt", True, True),
        ("failed_attempt", "out_for_delivery", True, True),  # a second attempt
        ("failed_attempt", "delivered", False, True),  # a higher stage moves even if stamped earlier
        ("delivered", "in_transit", True, False),  # final
        ("delivered", "returned_to_sender", True, False),
        ("returned_to_sender", "delivered", True, False),
        ("label_created", "cancelled", True, True),
        ("handed_over", "cancelled", True, False),  # the parcel left: too late to cancel
        ("in_transit", "in_transit", True, False),
        ("failed_attempt", "failed_attempt", True, True),  # another failed try (issue 16): news again
        ("failed_attempt", "failed_attempt", False, False),
        ("in_transit", "bogus", True, False),
    ],
)
def test_should_apply_never_moves_backwards(current, new, later, moves):
    new_at = T0 + timedelta(hours=1) if later else T0 - timedelta(hours=1)
    assert domain.should_apply(current=current, new=new, new_at=new_at, current_at=T0) is moves


@pytest.mark.parametrize(
    ("adapter", "code", "pickup", "expected"),
    [
        (AdapterKind.NOVA_POSHTA, "1", False, "label_created"),
        (AdapterKind.NOVA_POSHTA, "5", False, "in_transit"),
        (AdapterKind.NOVA_POSHTA, "6", False, "at_hub"),
        (AdapterKind.NOVA_POSHTA, "7", False, "ready_for_pickup"),
        (AdapterKind.NOVA_POSHTA, "101", False, "out_for_delivery"),
        (AdapterKind.NOVA_POSHTA, "111", False, "failed_attempt"),
        (AdapterKind.NOVA_POSHTA, "9", False, "delivered"),
        (AdapterKind.NOVA_POSHTA, "102", False, "returned_to_sender"),
        (AdapterKind.NOVA_POSHTA, "999", False, None),
        (AdapterKind.NOVA_POSHTA, "", False, None),
        (AdapterKind.POSTNORD, "EN_ROUTE", False, "in_transit"),
        (AdapterKind.POSTNORD, "en_route", False, "in_transit"),
        (AdapterKind.POSTNORD, "AVAILABLE_FOR_DELIVERY", False, "out_for_delivery"),
        (AdapterKind.POSTNORD, "AVAILABLE_FOR_DELIVERY", True, "ready_for_pickup"),
        (AdapterKind.POSTNORD, "DELIVERY_REFUSED", False, "returned_to_sender"),
        (AdapterKind.POSTNORD, "STOPPED", False, None),
        (AdapterKind.OWN_COURIER, "delivered", False, "delivered"),
    ],
)
def test_carrier_codes_map_to_statuses(adapter, code, pickup, expected):
    assert domain.map_carrier_code(adapter, code, to_pickup_point=pickup) == expected


@pytest.mark.parametrize(
    ("statuses", "all_shipped", "target"),
    [
        ([], True, None),
        (["label_created"], True, None),
        (["handed_over"], True, "shipped"),
        (["handed_over", "label_created"], False, "shipped"),
        (["in_transit", "handed_over"], True, "in_transit"),
        (["ready_for_pickup"], True, "ready_for_pickup"),
        (["ready_for_pickup", "in_transit"], True, "in_transit"),
        (["ready_for_pickup", "delivered"], True, "ready_for_pickup"),
        (["delivered", "delivered"], True, "delivered"),
        (["delivered"], False, "in_transit"),  # more units still to come
        (["delivered", "returned_to_sender"], True, "refused"),
        (["cancelled"], True, None),
    ],
)
def test_order_target(statuses, all_shipped, target):
    assert domain.order_target(statuses, all_units_shipped=all_shipped) == target


def test_route_order_hand_set_first_then_time_window_then_neighbours():
    stops = [
        domain.Stop(1, "01010", "Kyiv", "Lesi Ukrainky 10"),
        domain.Stop(2, "01001", "Kyiv", "Khreshchatyk 10"),
        domain.Stop(3, "01001", "Kyiv", "Khreshchatyk 9"),
        domain.Stop(4, "02000", "Kyiv", "Obolon 1", time_from=time(9), time_to=time(11)),
        domain.Stop(5, "03000", "Kyiv", "Far away 1", position=1),
        domain.Stop(6, "01001", "Kyiv", "Khreshchatyk 1", time_from=time(14), time_to=time(16)),
    ]
    assert [s.shipment_id for s in domain.route_order(stops)] == [5, 4, 6, 3, 2, 1]


def test_own_tracking_numbers_carry_a_check_digit():
    number = domain.own_tracking_number("OL", 42)
    assert number == "OL000000042" + domain.luhn_digit("000000042")
    assert domain.luhn_digit("7992739871") == "3"
    assert domain.normalize_tracking(" ol-0000 00042\t") == "OL000000042"


def test_webhook_signatures():
    body = b'{"data": []}'
    header = domain.sign("secret", body)
    assert domain.signature_valid("secret", body, header)
    assert not domain.signature_valid("secret", body + b" ", header)
    assert not domain.signature_valid("", body, header)
    assert not domain.signature_valid("secret", body, "")


NP, PN, OWN = AdapterKind.NOVA_POSHTA, AdapterKind.POSTNORD, AdapterKind.OWN_COURIER


@pytest.mark.parametrize(
    ("method", "country", "delivered_by", "carrier"),
    [
        ("courier_pickup", "UA", [], OWN),  # our couriers work in the shop's country
        ("courier_pickup", "UA", [NP], OWN),
        ("courier_pickup", "SE", [OWN], OWN),  # our courier delivered it there
        ("courier_pickup", "SE", [PN], PN),  # abroad: the carrier's return label
        ("drop_off", "UA", [NP], NP),  # the carrier that delivered it
        ("post", "UA", [NP], NP),
        ("drop_off", "SE", [OWN, PN], PN),
        ("drop_off", "UA", [OWN], NP),  # came with our courier: the country's return carrier
        ("drop_off", "SE", [AdapterKind.STORE_PICKUP], PN),
        ("post", "de", [], None),  # no carrier: the shop's own label
    ],
)
def test_which_carrier_a_return_goes_back_with(method, country, delivered_by, carrier):
    assert (
        domain.return_carrier(method=method, country=country, delivered_by=delivered_by, home_country="UA")
        == carrier
    )


@pytest.mark.parametrize(
    ("adapter", "code", "status"),
    [
        (NP, "1", None),  # the waybill exists, the parcel not sent yet
        (NP, "12", "in_transit"),
        (NP, "5", "in_transit"),
        (NP, "6", "in_transit"),
        (NP, "7", "in_transit"),  # waiting at the shop's branch: still to be fetched
        (NP, "9", "delivered"),
        (NP, "102", None),  # refused by the shop: the parcel goes back to the customer
        (NP, "2", None),
        (NP, "999", None),  # unknown: ignored
        (PN, "INFORMED", None),
        (PN, "en_route", "in_transit"),
        (PN, "AVAILABLE_FOR_DELIVERY", "in_transit"),
        (PN, "DELIVERED", "delivered"),
        (PN, "STOPPED", None),
        (OWN, "delivered", "delivered"),
        (OWN, "", None),
    ],
)
def test_return_tracking_status_from_carrier_codes(adapter, code, status):
    assert domain.return_tracking_status(adapter, code) == status
