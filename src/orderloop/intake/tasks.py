"""Background tasks of order imports: take ids, re-fetch, idempotent."""

from __future__ import annotations

from django_tasks import task

from .services import order_import_run


@task()
def run_order_import(import_id: int) -> None:
    """Place the orders of an uploaded file (a finished import is left alone, so a retry is harmless)."""
    order_import_run(import_id=import_id)
