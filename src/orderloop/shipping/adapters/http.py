"""A small JSON-over-HTTP client for carrier APIs (stdlib urllib): timeouts, and every failure turned
into CarrierError. Refuses to run inside a database transaction."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.db import transaction

from ..errors import CarrierError

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20


def _outside_transaction() -> None:
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("a carrier must not be called inside a database transaction")


def request_json(
    method: str,
    url: str,
    *,
    body: Any = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    carrier: str,
) -> tuple[int, Any]:
    """(HTTP status, parsed JSON body). Network errors and non-JSON answers raise CarrierError; HTTP
    error statuses are returned (carriers put their error details in the body)."""
    _outside_transaction()
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        logger.warning("%s unreachable: %s", carrier, exc)
        raise CarrierError(details={"carrier": carrier, "reason": str(exc)[:200]}) from exc
    try:
        return status, json.loads(raw.decode() or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CarrierError(
            details={"carrier": carrier, "status": status, "reason": "not a JSON answer"}
        ) from exc
