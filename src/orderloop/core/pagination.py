"""Keyset (cursor) pagination over a stable `id` order: no OFFSET, no skipped or repeated rows."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

from .errors import InvalidInput

M = TypeVar("M", bound=Model)

MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, value = base64.urlsafe_b64decode(padded.encode()).decode().split(":", 1)
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(details={"cursor": "not a cursor returned by this API"}) from exc


def keyset_page(queryset: QuerySet[M], *, cursor: str | None, limit: int) -> Page[M]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(details={"limit": f"must be between 1 and {MAX_LIMIT}"})
    queryset = queryset.order_by("id")
    if cursor:
        queryset = queryset.filter(id__gt=decode_cursor(cursor))
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    last: Any = rows[-1] if rows else None
    return Page(items=rows, next_cursor=encode_cursor(last.id) if has_more and last is not None else None)
