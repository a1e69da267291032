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
