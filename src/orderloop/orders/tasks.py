"""Background tasks of the orders area: take ids (or nothing), re-fetch, idempotent.

`check_sla` and `expire_unpaid_orders` are periodic: `manage.py run_scheduler` enqueues them every
minute (core/scheduler.py). Running either twice, or from two schedulers at once, is harmless.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from . import expiry, sla


@task()
def check_sla() -> dict[str, Any]:
    """Mark orders that stayed too long in their status and notify their managers (once per breach)."""
    report = sla.sla_check()
    return {"breached": report.breached, "notified": report.notified}


@task()
def expire_unpaid_orders() -> dict[str, Any]:
    """Cancel unpaid prepaid orders past the payment timeout (reason payment_timeout)."""
    report = expiry.expire_unpaid_orders()
    return {"cancelled": report.cancelled}
