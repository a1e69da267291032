"""Where personal documents live: the `documents` storage (settings.STORAGES, PRIVATE_MEDIA_ROOT), which
nothing publishes. Return labels and return photos carry names and addresses, so they are stored there
and served only by views that check a staff permission or a signed customer link (FileResponse from the
storage); other documents (packing slips, invoices, credit notes, shipping labels, purchase orders) are
rendered on request by such views and never written to disk."""

from __future__ import annotations

from datetime import datetime
from os import PathLike
from typing import Any

from django.core.files.storage import Storage, storages


class DocumentStorage(Storage):
    """The `documents` storage as configured at the time of each call.

    Django calls a FileField's callable storage once, when the model is loaded; this stand-in asks
    `storages["documents"]` again on every call (Django's storage handler, which follows a changed
    STORAGES setting), so a FileField always writes where the setting says — another directory, or an
    S3-compatible backend — without a migration."""

    @staticmethod
    def _target() -> Storage:
        return storages["documents"]

    def open(self, name: str, mode: str = "rb") -> Any:
        return self._target().open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return self._target().save(name, content, max_length=max_length)

    def get_valid_name(self, name: str) -> str:
        return self._target().get_valid_name(name)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self._target().get_available_name(name, max_length=max_length)

    def generate_filename(self, filename: str | PathLike[str]) -> str:
        return self._target().generate_filename(filename)

    def path(self, name: str) -> str:
        return self._target().path(name)

    def delete(self, name: str) -> None:
        self._target().delete(name)

    def exists(self, name: str) -> bool:
        return self._target().exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self._target().listdir(path)

    def size(self, name: str) -> int:
        return self._target().size(name)

    def url(self, name: str | None) -> str:
        return self._target().url(name)

    def get_accessed_time(self, name: str) -> datetime:
        return self._target().get_accessed_time(name)

    def get_created_time(self, name: str) -> datetime:
        return self._target().get_created_time(name)

    def get_modified_time(self, name: str) -> datetime:
        return self._target().get_modified_time(name)


_documents = DocumentStorage()


def document_storage() -> Storage:
    """The storage of personal documents (a callable for FileField; see DocumentStorage)."""
    return _documents
