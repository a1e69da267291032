"""The event spine: events recorded with their change, numbered per subject, consumed once, retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from orderloop.core import consumers, events
from orderloop.core.models import ConsumedEvent, DomainEvent
from orderloop.core.statemachine import StateMachine, TransitionNotAllowed

pytestmark = pytest.mark.django_db(transaction=True)


STATUS = {"from": "new", "to": "confirmed", "number": "1001"}


@pytest.fixture
def calls():
    seen: list[tuple[str, int]] = []
    failures = {"left": 0}

    def handler(event: DomainEvent) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("receiver down")
        seen.append((event.type, event.sequence))

    consumers.consumer("test.listener", types=["order.confirmed", "order.cancelled"])(handler)
    yield seen, failures
    consumers._consumers.pop("test.listener", None)


def consume_pending() -> list[str]:
    """Run the queued consume_event tasks of the test's listener the way a worker would (due ones only;
    the application's own consumers of the same types are left out)."""
    outcomes = []
    for row in DBTaskResult.objects.filter(task_path__endswith="consume_event").ready():
        if row.args_kwargs["kwargs"]["consumer"] == "test.listener":
            outcomes.append(consumers.run(**row.args_kwargs["kwargs"]))
            row.delete()
    return outcomes


def test_events_of_one_subject_are_numbered_from_one_in_order():
    with transaction.atomic():
        events.record("order.confirmed", 1001, STATUS)
        events.record("order.cancelled", 1001, {**STATUS, "from": "confirmed", "to": "cancelled"})
        events.record("order.confirmed", 1002, STATUS)
    assert [(e.type, e.sequence) for e in events.events_of("order", 1001)] == [
        ("order.confirmed", 1),
        ("order.cancelled", 2),
    ]
    assert [e.sequence for e in events.events_of("order", "1002")] == [1]


def test_envelope_has_the_documented_shape():
    with transaction.atomic():
        event = events.record("order.confirmed", 1001, {**STATUS, "reason": "checked by phone"})
    envelope = events.envelope(DomainEvent.objects.get(pk=event.pk))
    assert set(envelope) == {"id", "type", "subject", "sequence", "occurred_at", "version", "data"}
    assert envelope["subject"] == {"type": "order", "id": "1001"}
    assert envelope["data"] == {
        "from": "new",
        "to": "confirmed",
        "number": "1001",
        "reason": "checked by phone",
    }
    assert envelope["version"] == 1 and envelope["id"] == str(event.pk)


def test_a_payload_that_breaks_its_shape_is_refused_and_nothing_is_written():
    with pytest.raises(events.InvalidPayload), transaction.atomic():
        events.record("order.confirmed", 1001, {"from": "new", "to": "confirmed", "numbr": "1001"})
    with pytest.raises(events.UnknownEventType):
        events.record("order.teleported", 1001, STATUS)
    assert not DomainEvent.objects.exists()


def test_a_rolled_back_change_leaves_no_event_and_no_task(calls):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.record("order.confirmed", 1001, STATUS)
        raise RuntimeError("the change failed")
    assert not DomainEvent.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_each_subscriber_acts_once_however_often_its_task_runs(calls):
    seen, _ = calls
    with transaction.atomic():
        event = events.record("order.confirmed", 1001, STATUS)
        events.record("order.paid", 1001, {**STATUS, "from": "confirmed", "to": "paid"})  # not subscribed
    assert consume_pending() == ["done"]
    assert consumers.run("test.listener", event.pk) == "skipped"  # a duplicate run of the same task
    assert seen == [("order.confirmed", 1)]
    assert ConsumedEvent.objects.get(consumer="test.listener").outcome == "done"


def test_a_failing_consumer_retries_later_without_holding_up_the_next_event(calls, time_machine):
    seen, failures = calls
    time_machine.move_to("2026-12-07 10:00:00+00:00", tick=False)
    failures["left"] = 1
    with transaction.atomic():
        events.record("order.confirmed", 1001, STATUS)
    with transaction.atomic():
        events.record("order.cancelled", 1002, {**STATUS, "from": "confirmed", "to": "cancelled"})
    assert sorted(consume_pending()) == ["done", "retry"]
    assert seen == [("order.cancelled", 1)]
    assert consume_pending() == []  # the retry waits 30 seconds
    time_machine.shift(timedelta(seconds=31))
    assert consume_pending() == ["done"]
    assert sorted(seen) == [("order.cancelled", 1), ("order.confirmed", 1)]


def test_after_the_last_try_the_failure_is_recorded_and_replay_runs_it_again(calls, settings):
    seen, failures = calls
    settings.ORDERLOOP = {**settings.ORDERLOOP, "EVENT_MAX_ATTEMPTS": 1}
    failures["left"] = 1
    with transaction.atomic():
        events.record("order.confirmed", 1001, STATUS)
    assert consume_pending() == ["failed"]
    failed = ConsumedEvent.objects.get(consumer="test.listener")
    assert failed.outcome == "failed" and "receiver down" in failed.error
    assert consumers.replay("test.listener") == 1
    assert consume_pending() == ["done"]
    assert seen == [("order.confirmed", 1)]
    assert consumers.replay("test.listener") == 0


class Door:
    """A subject with a status field; the machine only needs `pk`, the field and `save(update_fields=…)`."""

    def __init__(self) -> None:
        self.pk, self.status, self.saved = 1001, "new", []

    def save(self, update_fields: list[str]) -> None:
        self.saved.append((self.status, update_fields))


def test_the_state_machine_refuses_what_its_table_forbids_and_records_what_it_allows(django_user_model):
    machine = StateMachine(subject="order", transitions={"new": ["confirmed"], "confirmed": ["cancelled"]})
    door = Door()
    with pytest.raises(TransitionNotAllowed) as refused:
        machine.move(door, "cancelled")
    assert refused.value.details == {"from": "new", "to": "cancelled", "allowed": ["confirmed"]}
    assert door.status == "new" and not door.saved and not DomainEvent.objects.exists()

    clerk = django_user_model.objects.create_user("clerk")
    with transaction.atomic():
        event = machine.move(
            door, "confirmed", actor=clerk, data={"number": "1001"}, update_fields=["status_changed_at"]
        )
    assert door.saved == [("confirmed", ["status", "status_changed_at"])]
    stored = DomainEvent.objects.get()
    assert (stored.type, stored.subject_id, stored.sequence) == ("order.confirmed", "1001", 1)
    assert (stored.actor_kind, stored.actor_name) == ("staff", "clerk")
    assert stored.data == {"from": "new", "to": "confirmed", "number": "1001", "reason": ""}
    assert event.pk == stored.pk


def test_docs_events_md_matches_the_catalogue():
    from django.core.management import call_command

    call_command("event_catalogue", "--check")  # CommandError when someone changed a type without the docs
