"""Background tasks of purchasing: take ids (or nothing), re-fetch, idempotent.

`check_low_stock` is periodic (core/scheduler.py runs it every 5 minutes); running it twice is harmless.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def send_supplier_message(message_id: int) -> bool:
    """E-mail a sent purchase order (PDF attached) to its supplier; a second run sends nothing."""
    from . import services

    sent = services.supplier_message_send(message_id=message_id)
    if not sent:
        # Still claimed by an earlier run whose worker died: look again when that claim goes stale.
        takeover_at = services.supplier_message_takeover_at(message_id=message_id)
        if takeover_at is not None:
            send_supplier_message.using(run_after=takeover_at).enqueue(message_id=message_id)
    return sent


@task()
def check_low_stock() -> dict[str, Any]:
    """Alert the responsible staff about reorder rules at or below their trigger (once per episode)."""
    from . import services

    report = services.low_stock_check()
    return {"alerted": report.alerted, "cleared": report.cleared, "notified": report.notified}
