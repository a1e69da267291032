"""Writes of the back office's own tables (saved views of the list pages)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput, NotFound
from orderloop.core.text import at_most_characters

from .models import SavedView

# Paging state never belongs to a saved view: reopening it starts on the first page.
TRANSIENT_PARAMS = frozenset({"cursor", "page", "csrfmiddlewaretoken", "view_name"})
MAX_QUERY = 4000


def clean_query_string(query_string: str) -> str:
    pairs = [
        (key, value)
        for key, value in parse_qsl(query_string or "", keep_blank_values=False)
        if key not in TRANSIENT_PARAMS
    ]
    return urlencode(pairs)


def saved_view_save(*, user: User, area: str, name: str, query_string: str) -> SavedView:
    """Save (or overwrite, same name) the user's filters of one list page."""
    name = (name or "").replace("\x00", "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the view a name.")
    elif len(name) > 100:
        errors["name"] = at_most_characters(100)
    query = clean_query_string(query_string)
    if len(query) > MAX_QUERY:
        errors["query_string"] = _("Too many filters to save.")
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        view, _created = SavedView.objects.update_or_create(
            user=user, area=area, name=name, defaults={"query_string": query}
        )
    return view


def saved_view_delete(*, user: User, area: str, view_id: int) -> None:
    deleted, _rows = SavedView.objects.filter(pk=view_id, user=user, area=area).delete()
    if not deleted:
        raise NotFound(details={"view": view_id})
