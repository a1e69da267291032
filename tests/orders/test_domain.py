"""Pure rules: the transition table, allocation strategies, address and phone rules. No database."""

from __future__ import annotations

from itertools import pairwise

import pytest

from orderloop.orders import domain
from orderloop.orders.allocation import LineDemand, StockOption, plan_allocation
from orderloop.orders.domain import AddressData
from orderloop.orders.models import OrderStatus as S


def test_every_status_has_a_row_and_targets_are_statuses():
    assert set(domain.TRANSITIONS) == set(S.values)
    for targets in domain.TRANSITIONS.values():
        assert targets <= set(S.values)


def test_no_status_moves_to_itself_and_final_statuses_are_dead_ends():
    for status, targets in domain.TRANSITIONS.items():
        assert status not in targets
    for status in domain.FINAL - {S.COMPLETED}:
        assert domain.allowed_next(status) == []
    # A completed order is closed, but a return within the window reopens it.
    assert domain.allowed_next(S.COMPLETED) == [S.RETURN_REQUESTED]


def test_every_status_is_reachable_from_new():
    seen, todo = {S.NEW.value}, [S.NEW.value]
    while todo:
        for target in domain.TRANSITIONS[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(S.values)


@pytest.mark.parametrize(
    ("path"),
    [
        # cash on delivery
        [S.NEW, S.CONFIRMED, S.PICKING, S.PACKED, S.SHIPPED, S.IN_TRANSIT, S.DELIVERED, S.COMPLETED],
        # prepaid, pickup point, then a return
        [
            S.NEW,
            S.CONFIRMED,
            S.AWAITING_PAYMENT,
            S.PAID,
            S.PICKING,
            S.PACKED,
            S.SHIPPED,
            S.READY_FOR_PICKUP,
            S.DELIVERED,
            S.RETURN_REQUESTED,
            S.RETURNED,
        ],
        # one of two units returned, later the other one
        [S.DELIVERED, S.RETURN_REQUESTED, S.PARTIALLY_RETURNED, S.RETURN_REQUESTED, S.RETURNED],
        # part returned, the rest kept until the return window is over
        [S.DELIVERED, S.RETURN_REQUESTED, S.PARTIALLY_RETURNED, S.COMPLETED],
        # prepayment, the rest on delivery
        [S.NEW, S.CONFIRMED, S.AWAITING_PAYMENT, S.PARTIALLY_PAID, S.PICKING],
        # backorder: waits, stock arrives
        [S.NEW, S.AWAITING_STOCK, S.CONFIRMED, S.PICKING],
        # refused at the door
        [S.NEW, S.CONFIRMED, S.PICKING, S.PACKED, S.SHIPPED, S.REFUSED],
        # payment timeout
        [S.NEW, S.CONFIRMED, S.AWAITING_PAYMENT, S.CANCELLED],
    ],
)
def test_real_shop_paths_are_allowed(path):
    for current, to in pairwise(path):
        assert domain.can_transition(current, to), f"{current} → {to}"


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (S.NEW, S.SHIPPED),
        (S.NEW, S.PICKING),  # must be confirmed (or paid) first
        (S.AWAITING_PAYMENT, S.PICKING),  # prepaid: no money, no picking
        (S.SHIPPED, S.CANCELLED),  # after shipping it is a refusal or a return
        (S.DELIVERED, S.CANCELLED),
        (S.CANCELLED, S.NEW),
        (S.RETURNED, S.RETURN_REQUESTED),  # everything came back: nothing left to return
        (S.DELIVERED, S.PARTIALLY_RETURNED),  # only through a return
        (S.NEW, "teleported"),
    ],
)
def test_moves_a_shop_must_not_make_are_refused(current, to):
    assert not domain.can_transition(current, to)


def test_everything_before_shipping_is_cancellable_and_holds_reservations():
    before_shipping = {
        S.NEW,
        S.CONFIRMED,
        S.AWAITING_PAYMENT,
        S.PARTIALLY_PAID,
        S.PAID,
        S.AWAITING_STOCK,
        S.PICKING,
        S.PACKED,
    }
    for status in S.values:
        assert domain.is_cancellable(status) == (status in before_shipping)
        assert domain.holds_reservations(status) == (status in before_shipping)
        assert domain.can_transition(status, S.CANCELLED) == (status in before_shipping)


def test_allowed_next_is_in_status_order():
    assert domain.allowed_next(S.NEW) == [
        "confirmed",
        "awaiting_payment",
        "paid",
        "awaiting_stock",
        "cancelled",
    ]


def test_blockers_hold_and_backorders():
    assert domain.transition_blocker(current=S.CONFIRMED, to=S.PICKING, on_hold=True, backordered=False) == (
        "order_on_hold"
    )
    assert (
        domain.transition_blocker(current=S.CONFIRMED, to=S.CANCELLED, on_hold=True, backordered=False)
        is None
    )
    assert (
        domain.transition_blocker(current=S.AWAITING_STOCK, to=S.PICKING, on_hold=False, backordered=True)
        == "stock_not_reserved"
    )
    assert (
        domain.transition_blocker(current=S.AWAITING_STOCK, to=S.PAID, on_hold=False, backordered=True)
        is None
    )


# --- allocation ------------------------------------------------------------------------------------

KYIV, LVIV, ODESA = 1, 2, 3


def option(stock_id, variant, warehouse, available, priority=None):
    return StockOption(
        stock_id=stock_id,
        variant_id=variant,
        warehouse_id=warehouse,
        warehouse_priority=priority if priority is not None else warehouse,
        available=available,
    )


def test_priority_fills_from_the_first_warehouse_and_splits():
    stocks = [option(10, 1, KYIV, 3), option(11, 1, LVIV, 5), option(12, 2, LVIV, 4), option(13, 2, KYIV, 1)]
    plans = plan_allocation([LineDemand(1, 5), LineDemand(2, 2)], stocks, "priority")
    assert plans[0].takes == [(10, 3), (11, 2)]
    assert plans[1].takes == [(12, 1), (13, 1)]
    assert [p.short for p in plans] == [0, 0]


def test_priority_reports_the_short_part():
    plans = plan_allocation([LineDemand(1, 5)], [option(10, 1, KYIV, 2)], "priority")
    assert (plans[0].reserved, plans[0].short) == (2, 3)


def test_the_same_variant_on_two_lines_does_not_double_count():
    plans = plan_allocation([LineDemand(1, 2), LineDemand(1, 2)], [option(10, 1, KYIV, 3)], "priority")
    assert [(p.reserved, p.short) for p in plans] == [(2, 0), (1, 1)]


def test_single_warehouse_prefers_one_that_ships_everything():
    stocks = [option(10, 1, KYIV, 5), option(11, 2, KYIV, 0), option(12, 1, LVIV, 5), option(13, 2, LVIV, 5)]
    demands = [LineDemand(1, 2), LineDemand(2, 1)]
    assert [p.takes for p in plan_allocation(demands, stocks, "single_warehouse")] == [[(12, 2)], [(13, 1)]]
    # by priority the first line would come from Kyiv, the second from Lviv
    assert [p.takes for p in plan_allocation(demands, stocks, "priority")] == [[(10, 2)], [(13, 1)]]


def test_single_warehouse_splits_when_none_can_ship_everything():
    stocks = [option(10, 1, KYIV, 2), option(11, 1, LVIV, 2), option(12, 1, ODESA, 1)]
    plans = plan_allocation([LineDemand(1, 4)], stocks, "single_warehouse")
    assert plans[0].takes == [(10, 2), (11, 2)]


def test_warehouse_priority_not_id_decides():
    stocks = [option(10, 1, KYIV, 5, priority=50), option(11, 1, LVIV, 5, priority=1)]
    assert plan_allocation([LineDemand(1, 1)], stocks)[0].takes == [(11, 1)]


def test_unknown_strategy_is_a_configuration_error():
    with pytest.raises(ValueError, match="unknown allocation strategy"):
        plan_allocation([], [], "nearest")


# --- address and phone -----------------------------------------------------------------------------


def test_address_rules_per_country():
    assert domain.address_errors(AddressData(country="UA", city="Kyiv", postal_code="01001", line1="x")) == {}
    errors = domain.address_errors(AddressData(country="UA", city="Kyiv", line1="x"))
    assert list(errors) == ["shipping_address.postal_code"]
    errors = domain.address_errors(AddressData(country="SE", city="Stockholm", postal_code="ABC", line1="x"))
    assert list(errors) == ["shipping_address.postal_code"]
    # the Emirates have no postal codes but need the emirate
    assert domain.address_errors(AddressData(country="AE", city="Dubai", line1="x", region="Dubai")) == {}
    assert list(domain.address_errors(AddressData(country="AE", city="Dubai", line1="x"))) == [
        "shipping_address.region"
    ]


def test_phone_is_read_in_the_address_country_and_stored_as_e164():
    assert domain.normalize_phone("050 123 45 67", "UA") == "+380501234567"
    assert domain.normalize_phone("+46 70 123 45 67", "UA") == "+46701234567"
    assert domain.phone_country("+46701234567") == "SE"
    # The country of a number just normalized is the one its E.164 form is read as.
    for raw, region in [("067 123 45 67", "UA"), ("+1 212 555 0123", "UA"), ("08-123 456 78", "SE")]:
        e164 = domain.normalize_phone(raw, region)
        remembered = domain.phone_country(e164)
        domain._COUNTRIES.clear()
        assert remembered == domain.phone_country(e164) is not None
    for bad in ["", "12", "not a phone", "+380 12"]:
        with pytest.raises(domain.PhoneError):
            domain.normalize_phone(bad, "UA")
