"""`make run` (scripts/run.py) on a fresh data directory: migrates, loads demo data, serves pages, runs
the task worker, and stops both cleanly on Ctrl-C. Runs against its own SQLite file, whatever engine
the suite uses, because that is what `make run` does on a fresh machine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def _wait_for(url: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in time")


def test_run_serves_pages_runs_worker_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(PORT=str(port), ORDERLOOP_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        assert _wait_for(f"http://127.0.0.1:{port}/login/", deadline) == 200
        assert (tmp_path / "var" / "orderloop.sqlite3").exists()
        worker_seen = subprocess.run(
            ["pgrep", "-P", str(process.pid), "-f", "db_worker"], capture_output=True, text=True
        )
        assert worker_seen.stdout.strip(), "the task worker is not running"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "demo1234" in output
    assert "Stopped web server and task worker." in output
