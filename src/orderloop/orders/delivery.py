"""When will it arrive: the expected delivery date, a pure rule (no ORM).

Handling starts on the day of the order when it is placed before the warehouse's cut-off time on a
working day; otherwise on the next working day. The warehouse needs `handling_days` working days,
counting the start day (1 = handed to the carrier the day handling starts; 0 counts as 1). The
carrier then needs `transit_days` working days (0 = the same day, e.g. store pickup). With several
warehouses in one order, the latest of them decides.

Working days are the shop's (`ORDERLOOP["WORKING_DAYS"]`, Monday = 0, default Monday to Friday) minus
its holidays (`ORDERLOOP["HOLIDAYS"]`, ISO dates).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True)
class Calendar:
    working_days: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.working_days:
            raise ValueError("a calendar needs at least one working day")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The working day `count` working days after `day` (which must be a working day)."""
        for _ in range(max(count, 0)):
            day = self.next_working_day(day + timedelta(days=1))
        return day


@dataclass(frozen=True)
class WarehouseTiming:
    cutoff: time
    handling_days: int


def handover_date(now: datetime, warehouse: WarehouseTiming, calendar: Calendar) -> date:
    """The day the warehouse hands the parcel to the carrier. `now` is the shop's local time."""
    start = now.date()
    if not calendar.is_working_day(start) or now.time() >= warehouse.cutoff:
        start = calendar.next_working_day(start + timedelta(days=1))
    return calendar.add_working_days(start, max(warehouse.handling_days, 1) - 1)


def expected_delivery_date(
    *,
    now: datetime,
    warehouses: Iterable[WarehouseTiming],
    transit_days: int,
    calendar: Calendar,
) -> date | None:
    """The date to promise, or None when no warehouse ships anything (everything backordered)."""
    handovers = [handover_date(now, warehouse, calendar) for warehouse in warehouses]
    if not handovers:
        return None
    return calendar.add_working_days(max(handovers), transit_days)


def calendar_from_settings(working_days: Collection[int] | None, holidays: Iterable[str] | None) -> Calendar:
    # Asked for on every placement with the same settings: built once per distinct value.
    return _calendar(tuple(working_days or ()), tuple(holidays or ()))


@functools.lru_cache(maxsize=16)
def _calendar(working_days: tuple[int, ...], holidays: tuple[str, ...]) -> Calendar:
    days = frozenset(int(day) for day in working_days) if working_days else MONDAY_TO_FRIDAY
    return Calendar(
        working_days=days,
        holidays=frozenset(date.fromisoformat(str(day)) for day in holidays),
    )
