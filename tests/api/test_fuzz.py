"""Schemathesis over the whole OpenAPI document: every operation, with an Admin and a Manager token,
against the demo shop. No answer may be a server error (5xx), and every answer must be one the document
promises: a documented status, its content type and its schema (`not_a_server_error`,
`status_code_conformance`, `content_type_conformance`, `response_schema_conformance`).

Runs on PostgreSQL only (skipped on SQLite): PostgreSQL is the production engine and the stricter one
(NUL bytes, time-zone offsets, numeric ranges), so what passes there passes on SQLite. Deterministic:
Hypothesis derandomized (examples follow from the test's name), no example database, a bounded number of
fuzzing examples per operation (`FUZZ_MAX_EXAMPLES`, default 12).

The demo shop is loaded once for the module inside one transaction that is rolled back at the end; each
generated request runs in a savepoint of its own that is rolled back after it, so every request sees the
same shop and a database error in one cannot spoil the next. Set `FUZZ_REPORT=<file>` to have the run's
figures (operations, requests, answers by status) written there as JSON.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from orderloop.core.services import api_token_create, staff_user_get_or_create
from orderloop.demo.loader import load_demo_data
from orderloop.wsgi import application

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
ROLES = ("Admin", "Manager")
# Deliberate 5xx answers (the error shape, a stable code) for an outside service that is not set up here.
PROVIDER_UNAVAILABLE_CODES = {"payment_provider_not_configured"}

CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
    }
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)

FIGURES: dict[str, Any] = {"operations": set(), "requests": 0, "statuses": Counter()}

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the API fuzz runs on PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db,
]


@pytest.fixture(scope="module")
def demo_shop(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The demo shop and a token per role, in a transaction rolled back after the module."""
    # The WSGI handler closes "old" connections at each request's start and end, which inside a test's
    # transaction would drop it (Django's test client disconnects the same receivers).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_demo_data()
            tokens = {}
            for role in ROLES:
                user, _ = staff_user_get_or_create(username=f"fuzz-{role.lower()}", role=role)
                tokens[role] = api_token_create(user=user, name="fuzz").plaintext
            yield tokens
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            _write_figures()


@pytest.fixture
def shop(demo_shop: dict[str, str], settings: Any) -> dict[str, str]:
    # Thousands of requests a minute per token: the per-token rate limit (its own tests) stays out of it.
    throttles = {
        **settings.ORDERLOOP["THROTTLES"],
        "api": {**settings.ORDERLOOP["THROTTLES"]["api"], "limit": 0},
    }
    settings.ORDERLOOP = {**settings.ORDERLOOP, "STRIPE_WEBHOOK_SECRET": "whsec_fuzz", "THROTTLES": throttles}
    return demo_shop


def _write_figures() -> None:
    target = os.environ.get("FUZZ_REPORT")
    if not target:
        return
    figures = {
        "operations": len(FIGURES["operations"]),
        "requests": FIGURES["requests"],
        "statuses": dict(sorted(FIGURES["statuses"].items())),
        "server_errors": sum(n for status, n in FIGURES["statuses"].items() if status >= 500),
        "max_examples": MAX_EXAMPLES,
        "engine": connection.vendor,
    }
    with open(target, "w") as report:
        json.dump(figures, report, indent=2)


@schema.parametrize()
@pytest.mark.parametrize("role", ROLES)
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_answers_within_its_schema(case: Any, role: str, shop: dict[str, str]) -> None:
    with transaction.atomic():
        response = case.call(headers={"Authorization": f"Bearer {shop[role]}"})
        transaction.set_rollback(True)
    FIGURES["operations"].add(case.operation.label)
    FIGURES["requests"] += 1
    FIGURES["statuses"][response.status_code] += 1
    if response.status_code in (502, 503):
        # An outside service that is not configured here: the documented error, nothing else.
        assert response.json()["code"] in PROVIDER_UNAVAILABLE_CODES, response.text
        return
    case.validate_response(response)
