"""Background tasks of returns: take ids (or nothing), re-fetch, idempotent."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def create_return_label(rma_id: int) -> str:
    """Get the return label from the shipping port if the request path did not (it does nothing for a
    return that has one)."""
    from . import services

    return services.return_label_create(rma_id=rma_id).tracking_ref


@task()
def check_refund_sla() -> dict[str, Any]:
    """Flag returns whose refund is overdue and notify the managers (once per return)."""
    from . import services

    report = services.returns_check_refund_sla()
    return {"overdue": report.overdue, "notified": report.notified}


@task()
def refresh_return_tracking() -> dict[str, Any]:
    """Ask the shipping port for news of every return on its way with a carrier (every 900 s in
    core/scheduler.py; returns with the shop's own label have no carrier and are left to staff)."""
    from . import services
    from .models import ReturnRequest, ReturnStatus

    moved = []
    rows = ReturnRequest.objects.filter(
        status__in=[ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT], tracking_ref__gt="", carrier__gt=""
    ).values_list("id", "status")
    for rma_id, before in list(rows[:500]):
        if services.return_tracking_refresh(rma_id=rma_id).status != before:
            moved.append(rma_id)
    return {"moved": moved}
