"""`Idempotency-Key` for POSTs that create things (DESIGN.md §5).

The same key and body return the first answer again (same status and body); the same key with another
body is a 409 `idempotency_key_reused`. Keys are scoped (e.g. per endpoint and user), so two clients
never see each other's answers.

How duplicates that arrive at the same time end with one effect: the key row is inserted *first*, inside
the transaction that performs the action, under a unique (scope, key) constraint, and the answer is
written into that row before commit.

- PostgreSQL: a second INSERT of the same key waits for the first transaction. If that one commits, the
  INSERT fails with a unique violation and we read the committed answer; if it rolls back, the INSERT
  succeeds and the second request performs the action itself.
- SQLite (`transaction_mode: IMMEDIATE`): writers queue, so the second transaction starts only after the
  first ended and its INSERT fails at once when the first committed.

A refused request (any domain error) rolls back with its key row: nothing is written, and retrying the
same key performs the action again. Only committed answers are replayed.

An action that only writes to this database (placing an order: its confirmation is a task row) may run
and be rolled back, so there the key row is written once, with its answer, at the end of the action's
transaction (`only_writes_here`): a duplicate runs the action, meets the committed key, rolls back and
answers what is stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import rawsql
from .errors import Conflict, DomainError, InvalidInput
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used with a different request body.")


class IdempotencyKeyBusy(Conflict):
    code = "idempotency_key_busy"
    default_message = _("A request with this Idempotency-Key is still being processed; retry shortly.")


@dataclass(frozen=True)
class EncodedJson:
    """An answer body already encoded as JSON text (e.g. by pydantic's `model_dump_json`): stored and
    sent as it is, instead of encoded once for the key row and again for the response."""

    text: str


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: Any
    replayed: bool = False


def fingerprint(body: Any) -> str:
    """SHA-256 of the canonical JSON of a request body: key order and whitespace do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def clean_key(key: str) -> str:
    cleaned = key.strip()
    if not cleaned or len(cleaned) > MAX_KEY_LENGTH or not cleaned.isascii() or not cleaned.isprintable():
        raise InvalidInput(
            details={
                HEADER: gettext("Must be 1 to %(n)s printable ASCII characters (e.g. a UUID).")
                % {"n": MAX_KEY_LENGTH}
            }
        )
    return cleaned


def _stored(scope: str, key: str, request_hash: str) -> Answer | None:
    record = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused(details={"key": key})
    return Answer(status_code=record.status_code, body=record.response_body, replayed=True)


def _claim(scope: str, key: str, request_hash: str) -> int | None:
    """Insert the key row in the current transaction; None when the key is already taken.

    One statement (INSERT … ON CONFLICT DO NOTHING RETURNING id, on PostgreSQL and SQLite) instead of a
    savepoint around an INSERT that may fail: a concurrent holder of the same key makes PostgreSQL wait
    for it, as the plain INSERT did.
    """
    column = functools.partial(rawsql.column, IdempotencyKey)
    empty_json = "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"
    columns = ", ".join(
        column(name)
        for name in ("scope", "key", "request_hash", "status_code", "response_body", "created_at")
    )
    row = rawsql.fetch_one(
        f"INSERT INTO {rawsql.table(IdempotencyKey)} ({columns}) VALUES (%s, %s, %s, 0, {empty_json}, %s) "
        f"ON CONFLICT ({column('scope')}, {column('key')}) DO NOTHING RETURNING {column('id')}",
        [scope, key, request_hash, connection.ops.adapt_datetimefield_value(timezone.now())],
    )
    return int(row[0]) if row else None


def _prepared_body(body: Any) -> Any:
    # Encoded JSON goes in as text, which both engines store as the JSON it spells.
    body_field = IdempotencyKey._meta.get_field("response_body")
    return body.text if isinstance(body, EncodedJson) else body_field.get_db_prep_save(body, connection)


def _store_answer(record_id: int, status_code: int, body: Any) -> None:
    column = functools.partial(rawsql.column, IdempotencyKey)
    rawsql.execute(
        f"UPDATE {rawsql.table(IdempotencyKey)} SET {column('status_code')} = %s, "
        f"{column('response_body')} = %s WHERE {column('id')} = %s",
        [status_code, _prepared_body(body), record_id],
    )


def _insert_answer(scope: str, key: str, request_hash: str, status_code: int, body: Any) -> bool:
    """Write the key row with its answer in the current transaction; False when the key is taken (a
    concurrent request with this key committed first: PostgreSQL waits for it, as for `_claim`)."""
    column = functools.partial(rawsql.column, IdempotencyKey)
    columns = ", ".join(
        column(name)
        for name in ("scope", "key", "request_hash", "status_code", "response_body", "created_at")
    )
    row = rawsql.fetch_one(
        f"INSERT INTO {rawsql.table(IdempotencyKey)} ({columns}) VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({column('scope')}, {column('key')}) DO NOTHING RETURNING {column('id')}",
        [
            scope,
            key,
            request_hash,
            status_code,
            _prepared_body(body),
            connection.ops.adapt_datetimefield_value(timezone.now()),
        ],
    )
    return row is not None


class _AnsweredMeanwhile(Exception):
    """Rolls back an action whose key a concurrent request with the same key answered first."""


def run_idempotent(
    *,
    scope: str,
    key: str | None,
    request_body: Any,
    action: Callable[[], tuple[int, Any]],
    only_writes_here: bool = False,
) -> Answer:
    """Run `action` (returning status and a JSON-ready body, or an EncodedJson) once per (scope, key)
    and body. A replayed answer's body is the decoded JSON.

    Without a key the action simply runs in a transaction.

    `only_writes_here`: the action's every effect is a write to this database (no call to anything
    outside it), so it may run and be rolled back. Then the key row is written once, with the answer,
    at the end of the action's transaction (one statement instead of a claim and an update): a
    request repeating a committed key runs the action, meets the key and rolls back, and answers what
    was stored; a duplicate arriving at the same time does the same when the first one commits.
    """
    if key is None:
        with transaction.atomic():
            status_code, body = action()
        return Answer(status_code=status_code, body=body)
    key = clean_key(key)
    request_hash = fingerprint(request_body)
    if only_writes_here:
        return _run_then_record(scope, key, request_hash, action)
    with transaction.atomic():
        record_id = _claim(scope, key, request_hash)
        if record_id is None:
            answer = _stored(scope, key, request_hash)
            if answer is None:  # committed and purged in between: vanishingly rare, safe to retry
                raise IdempotencyKeyBusy(details={"key": key})
            return answer
        status_code, body = action()
        _store_answer(record_id, status_code, body)
        return Answer(status_code=status_code, body=body)


def _run_then_record(
    scope: str, key: str, request_hash: str, action: Callable[[], tuple[int, Any]]
) -> Answer:
    try:
        with transaction.atomic():
            status_code, body = action()
            if _insert_answer(scope, key, request_hash, status_code, body):
                return Answer(status_code=status_code, body=body)
            raise _AnsweredMeanwhile
    except _AnsweredMeanwhile:
        pass
    except DomainError:
        # Refused, perhaps because of what a committed request with this key did (it took the last
        # unit): that request's answer is this key's answer.
        answer = _stored(scope, key, request_hash)
        if answer is None:
            raise
        return answer
    answer = _stored(scope, key, request_hash)
    if answer is None:  # committed and purged in between: vanishingly rare, safe to retry
        raise IdempotencyKeyBusy(details={"key": key})
    return answer


def idempotency_keys_purge(*, older_than: timedelta) -> int:
    """Forget answers older than this (a periodic task calls it); returns how many were deleted."""
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
