"""Throttles against guessing: failures counted per key with a lockout, and request rates per key.

Two kinds, both configured in `ORDERLOOP["THROTTLES"]` (docs/operations.md, "Security"):

- **Failures with a lockout** (`record_failure`, `blocked_for`): after `limit` failures for one key
  within `window` seconds the key is blocked for `lockout` seconds. The return portal counts wrong
  order number + contact pairs per order number and per address, the storefront's sign-in wrong
  passwords per email and per address, the follow-the-order page wrong links per address, checkout
  failed attempts and unknown coupon codes per address.
- **Request rates** (`hit`): at most `limit` requests per key in each window of `window` seconds (the
  API, per token; per address for the operations without a token).

Counts live in the database (`core.Throttle`), one row per scope and key, shared by every process and
machine; each change is a single conditional UPDATE, so attempts sent at the same moment are all
counted, on SQLite and PostgreSQL alike. Keys are HMACs of the value (order number, email, address),
so the table holds no personal data in clear. Staff logins are locked out by django-axes instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Throttle

DEFAULTS: dict[str, dict[str, int]] = {
    "return_portal": {"limit": 10, "window": 900, "lockout": 900},
    "order_tracking": {"limit": 10, "window": 900, "lockout": 900},
    "customer_sign_in": {"limit": 10, "window": 900, "lockout": 900},
    "checkout": {"limit": 20, "window": 900, "lockout": 900},
    "api": {"limit": 600, "window": 60, "lockout": 0},
}


@dataclass(frozen=True)
class Limit:
    limit: int  # 0: the throttle is off
    window: int  # seconds
    lockout: int  # seconds (failure throttles)


def limit_for(scope: str) -> Limit:
    configured = (settings.ORDERLOOP.get("THROTTLES") or {}).get(scope) or {}
    values = {**DEFAULTS.get(scope, {"limit": 0, "window": 60, "lockout": 0}), **configured}
    return Limit(
        limit=int(values["limit"] or 0),
        window=max(int(values["window"] or 1), 1),
        lockout=max(int(values.get("lockout") or 0), 0),
    )


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind `PROXY_COUNT` trusted proxies the address the first
    of them saw (counted from the right of X-Forwarded-For, which a client cannot forge past them)."""
    proxies = int(settings.ORDERLOOP.get("PROXY_COUNT") or 0)
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if proxies > 0 and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(scope: str, value: str) -> str:
    return salted_hmac(f"orderloop.throttle.{scope}", str(value).strip().lower()).hexdigest()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(math.ceil((moment - now).total_seconds()), 1)


def _row(scope: str, key: str, now: datetime) -> Throttle:
    try:
        with transaction.atomic():
            return Throttle.objects.get_or_create(scope=scope, key=key, defaults={"window_start": now})[0]
    except IntegrityError:  # created by a concurrent attempt between the lookup and the insert
        return Throttle.objects.get(scope=scope, key=key)


def blocked_for(scope: str, *values: str) -> int:
    """Seconds until the longest block on any of these values ends; 0 when none is blocked."""
    limit = limit_for(scope)
    if limit.limit <= 0 or not values:
        return 0
    now = timezone.now()
    until = (
        Throttle.objects.filter(scope=scope, key__in=[_key(scope, v) for v in values], blocked_until__gt=now)
        .order_by("-blocked_until")
        .values_list("blocked_until", flat=True)
        .first()
    )
    return _seconds_until(until, now) if until is not None else 0


def record_failure(scope: str, *values: str) -> int:
    """Count one failure for each value; returns the seconds the attempt's keys are now blocked for (0
    while under the limit). The window runs from the first failure counted in it."""
    limit = limit_for(scope)
    if limit.limit <= 0:
        return 0
    now = timezone.now()
    blocked = 0
    for value in values:
        key = _key(scope, value)
        row = _row(scope, key, now)
        rows = Throttle.objects.filter(pk=row.pk)
        # An expired window starts again (conditional, so only one concurrent attempt restarts it).
        rows.filter(window_start__lte=now - timedelta(seconds=limit.window)).update(window_start=now, hits=0)
        rows.update(hits=F("hits") + 1)
        until = now + timedelta(seconds=limit.lockout)
        if rows.filter(hits__gte=limit.limit).update(blocked_until=until, hits=0, window_start=now):
            blocked = max(blocked, _seconds_until(until, now))
    return blocked


def reset(scope: str, *values: str) -> None:
    """Forget the failures of these values (e.g. after a successful sign-in); a block stays."""
    Throttle.objects.filter(scope=scope, key__in=[_key(scope, v) for v in values]).update(hits=0)


def hit(scope: str, value: str) -> int:
    """Count one request in the current fixed window; 0 when allowed, else the seconds to wait."""
    limit = limit_for(scope)
    if limit.limit <= 0:
        return 0
    now = timezone.now()
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % limit.window, tz=now.tzinfo)
    key = _key(scope, value)
    current = Throttle.objects.filter(scope=scope, key=key, window_start=start, hits__lt=limit.limit)
    if current.update(hits=F("hits") + 1):
        return 0  # the common case: one statement
    row = _row(scope, key, start)
    Throttle.objects.filter(pk=row.pk, window_start__lt=start).update(window_start=start, hits=0)
    if current.update(hits=F("hits") + 1):
        return 0
    return _seconds_until(start + timedelta(seconds=limit.window), now)


def prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete counters nobody touched for a day and whose block is over (a periodic task)."""
    now = timezone.now()
    stale = Throttle.objects.filter(window_start__lt=now - older_than).exclude(blocked_until__gt=now)
    return stale.delete()[0]
