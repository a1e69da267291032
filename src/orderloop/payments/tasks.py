"""Background tasks of payments: take ids, re-fetch, idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def send_refund(refund_id: int) -> str:
    """Send a confirmed card refund to the provider if the request path did not (a crash after commit).
    Harmless after a send: a refund already sent is left alone, and the provider's idempotency key is the
    refund id, so two senders at once still make one refund."""
    from . import services

    return services.refund_send(refund_id=refund_id).status


@task()
def refresh_card_payment(payment_id: int) -> str:
    """Fetch a card payment's intent from Stripe and record its status (for a webhook that never came)."""
    from . import services

    return services.card_payment_refresh(payment_id=payment_id).status
