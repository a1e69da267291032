"""Who did it: the user behind a change, as stored on event and ledger rows."""

from __future__ import annotations

from typing import Any


def actor_id(actor: Any) -> int | None:
    """The acting user's id; None for the system (a task, a webhook) and for anonymous visitors."""
    return getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
