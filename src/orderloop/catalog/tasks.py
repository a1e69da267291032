"""Background tasks of the catalog: take ids, re-fetch, idempotent."""

from __future__ import annotations

from django_tasks import task

from .services import catalog_import_run


@task()
def import_catalog(import_id: int) -> None:
    """Run a queued CSV import (a finished one is left alone, so a retry is harmless)."""
    catalog_import_run(import_id=import_id)
