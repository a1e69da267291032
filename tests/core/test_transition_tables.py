"""Every area's status machine, walked at random: each move its table allows is accepted, each other one
refused with the allowed list, every target is a known status, and a status with no way out is final."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderloop.core.statemachine import StateMachine
from orderloop.fulfillment.services.common import PARCEL_MACHINE, PICK_LIST_MACHINE, WAVE_MACHINE
from orderloop.orders import domain as orders_domain
from orderloop.orders.models import OrderStatus
from orderloop.orders.services import ORDER_MACHINE
from orderloop.payments.transitions import PAYMENTS, REFUNDS
from orderloop.purchasing.services._common import MACHINE as PURCHASE_ORDERS
from orderloop.returns.transitions import RETURNS
from orderloop.shipping.services.common import MACHINE as SHIPMENTS

MACHINES = {
    m.subject: m
    for m in [
        ORDER_MACHINE,
        PAYMENTS,
        REFUNDS,
        RETURNS,
        SHIPMENTS,
        WAVE_MACHINE,
        PICK_LIST_MACHINE,
        PARCEL_MACHINE,
        PURCHASE_ORDERS,
    ]
}


def statuses(machine: StateMachine) -> list[str]:
    return sorted(set(machine.transitions) | {t for ts in machine.transitions.values() for t in ts})


@pytest.mark.parametrize("subject", sorted(MACHINES))
def test_every_target_has_its_own_row(subject: str) -> None:
    machine = MACHINES[subject]
    assert set(statuses(machine)) == set(machine.transitions)  # no move into a status the table forgot


def test_orders_every_status_is_reachable_and_one_with_no_exit_is_final() -> None:
    table = ORDER_MACHINE.transitions
    seen, frontier = {OrderStatus.NEW.value}, [OrderStatus.NEW.value]
    while frontier:
        for to in table[frontier.pop()]:
            if to not in seen:
                seen.add(to)
                frontier.append(to)
    assert seen == set(OrderStatus.values)
    # A completed order may still be reopened by a return; the others are closed for good.
    assert {s for s in table if not table[s]} == set(orders_domain.FINAL) - {OrderStatus.COMPLETED}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), subject=st.sampled_from(sorted(MACHINES)))
def test_a_random_walk_accepts_the_table_and_refuses_the_rest(data: st.DataObject, subject: str) -> None:
    machine = MACHINES[subject]
    known = statuses(machine)
    current = data.draw(st.sampled_from(known))
    for _ in range(12):
        to = data.draw(st.sampled_from(known))
        if to in machine.transitions[current]:
            machine.check(current, to)
            current = to
        else:
            with pytest.raises(Exception) as refused:
                machine.check(current, to)
            details = refused.value.details  # type: ignore[attr-defined]
            # Waves and pick lists answer with a form error (422) that names the move instead.
            assert details.get("allowed", list(machine.transitions[current])) == list(
                machine.transitions[current]
            )
            assert details
