"""Every area's transition table, walked at random through core's StateMachine: each allowed move is
accepted, each other one refused with the allowed list, and a final status has no way out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderloop.core.statemachine import StateMachine, TransitionNotAllowed
from orderloop.orders import domain as orders_domain
from orderloop.orders.models import OrderStatus

TABLES = {
    "order": (orders_domain.TRANSITIONS, OrderStatus.NEW, orders_domain.FINAL, set(OrderStatus.values)),
}


@pytest.mark.parametrize("subject", sorted(TABLES))
def test_every_status_is_reachable_and_final_ones_have_no_exit(subject: str) -> None:
    table, start, final, statuses = TABLES[subject]
    assert set(table) == statuses  # every status has a row, even if it is empty
    seen, frontier = {start}, [start]
    while frontier:
        for to in table[frontier.pop()]:
            assert to in statuses
            if to not in seen:
                seen.add(to)
                frontier.append(to)
    assert seen == statuses
    assert all(not table[status] for status in final)
    assert all(table[status] for status in statuses - set(final))  # anything else can move on


@settings(max_examples=200, deadline=None)
@given(data=st.data(), subject=st.sampled_from(sorted(TABLES)))
def test_a_random_walk_accepts_the_table_and_refuses_the_rest(data: st.DataObject, subject: str) -> None:
    table, start, _final, statuses = TABLES[subject]
    machine = StateMachine(subject=subject, transitions=table)
    current = start
    for _ in range(12):
        to = data.draw(st.sampled_from(sorted(statuses)))
        if to in table[current]:
            machine.check(current, to)
            current = to
        else:
            with pytest.raises(TransitionNotAllowed) as refused:
                machine.check(current, to)
            assert refused.value.details["allowed"] == list(table[current])
