"""The production web server (granian, docs/operations.md) serves the application: a page with its
static files from WhiteNoise, and the API with and without a token and a request body. Runs against its
own SQLite file with production settings, whatever engine the suite uses: this checks the server and
the WSGI wiring, not the database."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    # As the TLS-terminating proxy in front of it would (production redirects plain HTTP to HTTPS).
    headers = {"X-Forwarded-Proto": "https", **(headers or {})}
    request = urllib.request.Request(
        url, data=data, headers=headers, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_granian_serves_pages_static_files_and_the_api(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    }
    env.update(
        ORDERLOOP_ENV="production",
        SECRET_KEY="test-only-production-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="127.0.0.1",
        ORDERLOOP_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        PYTHONPATH=str(ROOT / "src"),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--verbosity", "0"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    created = subprocess.run(
        [*manage, "create_api_token", "--username", "integration", "--role", "Manager"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "--port",
            str(port),
            "--workers",
            "1",
            "--blocking-threads",
            "2",
            "--log-level",
            "warning",
            "orderloop.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _headers, page = _request(f"{base}/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, "granian did not answer in time"
                time.sleep(0.3)
        assert status == 200 and b'name="username"' in page
        stylesheet = re.search(r'href="([^"]+\.css)"', page.decode())
        assert stylesheet is not None
        status, headers, css = _request(f"{base}{stylesheet.group(1)}")
        assert status == 200 and css and "max-age" in headers.get("cache-control", "")

        status, _headers, body = _request(
            f"{base}/api/v1/orders", data=b"{}", headers={"Content-Type": "application/json"}
        )
        assert status == 401 and json.loads(body)["code"]

        auth = {"Authorization": f"Bearer {token}"}
        status, _headers, body = _request(f"{base}/api/v1/delivery-methods", headers=auth)
        assert status == 200 and isinstance(json.loads(body), list)
        invalid = json.dumps({"channel": "api", "lines": []}).encode()
        status, _headers, body = _request(
            f"{base}/api/v1/orders", data=invalid, headers={**auth, "Content-Type": "application/json"}
        )
        assert status == 422 and json.loads(body)["code"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
