"""The promised delivery date (orders/delivery.py): cut-off, handling and transit days on working days."""

from __future__ import annotations

from datetime import date, datetime, time

from orderloop.orders import delivery
from orderloop.orders.delivery import Calendar, WarehouseTiming

CAL = Calendar()
KYIV = WarehouseTiming(cutoff=time(14, 0), handling_days=1)


def expected(now: datetime, transit: int, *warehouses: WarehouseTiming, calendar: Calendar = CAL):
    return delivery.expected_delivery_date(
        now=now, warehouses=warehouses or (KYIV,), transit_days=transit, calendar=calendar
    )


def test_before_the_cut_off_it_ships_today():
    # Tuesday 1 December 2026, 09:30: handed over today, 2 transit days → Thursday.
    assert expected(datetime(2026, 12, 1, 9, 30), 2) == date(2026, 12, 3)


def test_after_the_cut_off_it_ships_the_next_working_day():
    assert expected(datetime(2026, 12, 1, 14, 0), 2) == date(2026, 12, 4)


def test_weekends_are_skipped_for_handling_and_transit():
    # Friday 4 December after the cut-off → handed over Monday 7th → 2 transit days → Wednesday 9th.
    assert expected(datetime(2026, 12, 4, 16, 0), 2) == date(2026, 12, 9)
    # Saturday: nothing happens until Monday.
    assert expected(datetime(2026, 12, 5, 10, 0), 1) == date(2026, 12, 8)


def test_holidays_are_not_working_days():
    calendar = Calendar(holidays=frozenset({date(2026, 12, 25)}))
    # Thursday 24th before cut-off, 1 transit day: Friday 25th is a holiday → Monday 28th.
    assert expected(datetime(2026, 12, 24, 10, 0), 1, calendar=calendar) == date(2026, 12, 28)


def test_store_pickup_same_day_and_slow_warehouses():
    assert expected(datetime(2026, 12, 1, 9, 0), 0) == date(2026, 12, 1)
    hub = WarehouseTiming(cutoff=time(12, 0), handling_days=2)
    # Split between Kyiv (today) and the hub (two working days): the later one decides.
    assert expected(datetime(2026, 12, 1, 9, 0), 1, KYIV, hub) == date(2026, 12, 3)


def test_nothing_to_ship_means_no_date():
    assert (
        delivery.expected_delivery_date(
            now=datetime(2026, 12, 1), warehouses=[], transit_days=1, calendar=CAL
        )
        is None
    )


def test_a_six_day_week():
    calendar = delivery.calendar_from_settings([0, 1, 2, 3, 4, 5], ["2026-12-25"])
    assert expected(datetime(2026, 12, 4, 16, 0), 1, calendar=calendar) == date(2026, 12, 7)
