"""Consumers of the event spine: each reacts to the event types it subscribes to, at its own pace.

An area declares its consumers in a `consumers.py` module (found at start-up by `CoreConfig.ready`):

    @consumer("notifications.customer", types=["order.confirmed", "refund.succeeded"])
    def tell_customer(event: DomainEvent) -> None: ...

When an event is recorded, every consumer subscribed to its type gets its own task (`consume_event`) in
the same transaction (the task outbox, core/outbox.py): nothing is lost after a commit, nothing runs for
a rollback. The task runs the handler and writes a `ConsumedEvent` row in one transaction, so a handler's
effect happens once per event however often the task runs. A handler that raises is retried later
(30 s, 2 min, 8 min … at most 6 h apart, ORDERLOOP["EVENT_MAX_ATTEMPTS"] tries) without holding up other
consumers or other events; after the last try the failure is recorded and `manage.py replay_events`
runs it again once the cause is fixed.

Types may end with `.*` (`order.*`) to take every type of a subject.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from .models import ConsumedEvent, DomainEvent
from .outbox import enqueue_with_transaction

logger = logging.getLogger(__name__)

Handler = Callable[[DomainEvent], Any]
DEFAULT_MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 6 * 3600


class _AlreadyDone(Exception):
    """Another run of the same consumer on the same event committed first."""


@dataclass(frozen=True)
class Consumer:
    name: str
    types: tuple[str, ...]
    handler: Handler

    def wants(self, event_type: str) -> bool:
        return any(
            pattern == event_type or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
            for pattern in self.types
        )


_consumers: dict[str, Consumer] = {}


def consumer(name: str, *, types: Sequence[str]) -> Callable[[Handler], Handler]:
    """Register `handler` as the consumer `name` of `types` (exact names or `subject.*`)."""

    def register(handler: Handler) -> Handler:
        existing = _consumers.get(name)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"consumer {name!r} is registered twice")
        _consumers[name] = Consumer(name=name, types=tuple(types), handler=handler)
        return handler

    return register


def registered() -> dict[str, Consumer]:
    """Consumers that are switched on (ORDERLOOP["EVENT_CONSUMERS_OFF"] lists any switched off)."""
    off = set(settings.ORDERLOOP.get("EVENT_CONSUMERS_OFF", ()))
    return {name: c for name, c in sorted(_consumers.items()) if name not in off}


def subscribers(event_type: str) -> list[Consumer]:
    return [c for c in registered().values() if c.wants(event_type)]


def dispatch(events: Iterable[DomainEvent]) -> None:
    """Give each event to its subscribers (called by core.events.record_many, in the caller's transaction)."""
    for event in events:
        for subscriber in subscribers(event.type):
            enqueue_with_transaction(consume_event, consumer=subscriber.name, event_id=event.pk)


def max_attempts() -> int:
    return int(settings.ORDERLOOP.get("EVENT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def retry_delay(attempt: int) -> timedelta:
    """30 s after the first failure, four times longer each time, at most 6 hours."""
    return timedelta(seconds=min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 4 ** max(0, attempt - 1)))


def run(consumer: str, event_id: int, attempt: int = 1) -> str:
    """Run one consumer on one event once; returns what happened (`done`, `skipped`, `retry`, `failed`)."""
    name = consumer
    subscriber = registered().get(name)
    if subscriber is None:
        return "skipped"  # switched off or removed: the event stays unconsumed and can be replayed
    try:
        with transaction.atomic():
            event = DomainEvent.objects.get(pk=event_id)
            previous = ConsumedEvent.objects.filter(consumer=name, event=event).first()
            if previous is not None and previous.outcome == ConsumedEvent.Outcome.DONE:
                return "skipped"
            subscriber.handler(event)
            if previous is not None:
                previous.outcome, previous.attempts, previous.error = ConsumedEvent.Outcome.DONE, attempt, ""
                previous.save(update_fields=["outcome", "attempts", "error"])
            else:
                # A concurrent run of the same pair waits here and then fails on the unique pair: its
                # transaction (and any effect of its handler) rolls back, the first one's stands.
                try:
                    with transaction.atomic():
                        ConsumedEvent.objects.create(consumer=name, event=event, attempts=attempt)
                except IntegrityError:
                    raise _AlreadyDone from None
    except (DomainEvent.DoesNotExist, _AlreadyDone):
        return "skipped"
    except Exception:
        error = traceback.format_exc(limit=5)
        if attempt < max_attempts():
            logger.warning("consumer %s failed on event %s (try %s), retrying", name, event_id, attempt)
            consume_event.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
                consumer=name, event_id=event_id, attempt=attempt + 1
            )
            return "retry"
        logger.error("consumer %s gave up on event %s after %s tries", name, event_id, attempt)
        ConsumedEvent.objects.update_or_create(
            consumer=name,
            event_id=event_id,
            defaults={"outcome": ConsumedEvent.Outcome.FAILED, "attempts": attempt, "error": error[-4000:]},
        )
        return "failed"
    return "done"


@task()
def consume_event(consumer: str, event_id: int, attempt: int = 1) -> str:
    return run(consumer, event_id, attempt)


def pending(name: str) -> Any:
    """Events of the consumer's types that it has not done (never run, still retrying, or failed)."""
    subscriber = _consumers[name]
    done = ConsumedEvent.objects.filter(consumer=name, outcome=ConsumedEvent.Outcome.DONE).values("event_id")
    events = DomainEvent.objects.exclude(pk__in=done)
    exact = [t for t in subscriber.types if not t.endswith(".*")]
    prefixes = [t[:-1] for t in subscriber.types if t.endswith(".*")]
    wanted = Q(type__in=exact)
    for prefix in prefixes:
        wanted |= Q(type__startswith=prefix)
    return events.filter(wanted).order_by("id")


def replay(name: str, *, since: Any = None) -> int:
    """Enqueue the consumer again for every event it has not done (optionally only those since a time)."""
    events = pending(name)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    count = 0
    for event_id in events.values_list("pk", flat=True).iterator():
        consume_event.enqueue(consumer=name, event_id=event_id)
        count += 1
    return count
