"""While the database cannot be reached, the API answers 503 `service_unavailable` with `Retry-After`
and pages a plain "temporarily unavailable" page, not a 500 that reads as a bug.

Each case runs Django in a subprocess whose database is out of reach (PostgreSQL on a port where nothing
listens; SQLite at a path that cannot be opened), so no other test's connection is disturbed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json
import django
django.setup()
from django.test import Client

api = Client(HTTP_AUTHORIZATION="Bearer olt_0123456789ab_" + "s" * 43)
answers = {}
for name, client, url in [("api", api, "/api/v1/warehouses"), ("page", Client(), "/shop/")]:
    response = client.get(url)
    answers[name] = {
        "status": response.status_code,
        "content_type": response["Content-Type"],
        "retry_after": response.get("Retry-After"),
        "body": response.content.decode(),
    }
print(json.dumps(answers))
"""


def unreachable_postgresql(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/orderloop"}


def unopenable_sqlite(tmp_path: Path) -> dict[str, str]:
    var = tmp_path / "var"
    (var / "orderloop.sqlite3").mkdir(parents=True)  # a directory where the database file should be
    return {"DATABASE_URL": "", "ORDERLOOP_VAR_DIR": str(var)}


@pytest.mark.parametrize("outage", [unreachable_postgresql, unopenable_sqlite], ids=["postgresql", "sqlite"])
def test_an_unreachable_database_is_a_503_with_retry_after(outage, tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orderloop.settings", **outage(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    api = answers["api"]
    assert api["status"] == 503, api
    assert api["content_type"].startswith("application/json")
    assert int(api["retry_after"]) > 0
    body = json.loads(api["body"])
    assert body["code"] == "service_unavailable"
    assert set(body) == {"code", "message", "details"}

    page = answers["page"]
    assert page["status"] == 503, page["body"][-2000:]
    assert page["content_type"].startswith("text/html")
    assert int(page["retry_after"]) > 0
    assert "Temporarily unavailable" in page["body"]
    assert "Traceback" not in page["body"]
