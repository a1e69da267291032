"""Where personal documents live: the `documents` storage (settings.STORAGES, PRIVATE_MEDIA_ROOT), which
nothing publishes. Return labels and return photos carry names and addresses, so they are stored there
and served only by views that check a staff permission or a signed customer link (FileResponse from the
storage); other documents (packing slips, invoices, credit notes, shipping labels, purchase orders) are
rendered on request by such views and never written to disk."""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def document_storage() -> Storage:
    """The storage of personal documents (a callable, so FileFields follow the setting at run time)."""
    return storages["documents"]
