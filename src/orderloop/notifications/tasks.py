"""Background tasks of notifications: take ids, re-fetch, idempotent."""

from __future__ import annotations

from django_tasks import task

from .services import customer_message_send, customer_message_takeover_at


@task()
def send_customer_message(message_id: int) -> bool:
    """Send a queued customer message (one already sent, or being sent by another worker, is left alone).

    A message still claimed by an earlier run is looked at again when that claim goes stale: a run put
    back because its worker died (core/workers.py) may find the dead worker's claim, and must not give
    the message up."""
    sent = customer_message_send(message_id=message_id)
    if not sent:
        takeover_at = customer_message_takeover_at(message_id=message_id)
        if takeover_at is not None:
            send_customer_message.using(run_after=takeover_at).enqueue(message_id=message_id)
    return sent
