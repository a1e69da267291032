"""The systemd units shipped in deploy/systemd supervise every process production needs (web server, task
workers, scheduler, nightly backup), restart them whatever the exit, run commands that exist, and pass
systemd's own check where systemd is installed."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNITS / name)
    return parser


def test_every_process_is_supervised_and_restarted() -> None:
    commands = {
        name: shlex.split(_unit(name)["Service"]["ExecStart"])
        for name in ("orderloop-web.service", "orderloop-worker@.service", "orderloop-scheduler.service")
    }
    assert commands["orderloop-web.service"][0].endswith("/granian")
    assert "orderloop.wsgi:application" in commands["orderloop-web.service"]
    assert commands["orderloop-worker@.service"][1:3] == ["manage.py", "run_worker"]
    assert commands["orderloop-scheduler.service"][1:3] == ["manage.py", "run_scheduler"]
    for name in commands:
        unit = _unit(name)
        assert unit["Service"]["Restart"] == "always", name
        assert unit["Unit"]["StartLimitIntervalSec"] == "0", name  # systemd never gives up on it
        assert unit["Service"]["EnvironmentFile"] == "/etc/orderloop/orderloop.env"
    backup = shlex.split(_unit("orderloop-backup.service")["Service"]["ExecStart"])
    assert "manage.py backup --output" in backup[-1]
    assert _unit("orderloop-backup.timer")["Timer"]["OnCalendar"]
    # The management commands the units run exist.
    available = get_commands()
    for command in ("run_worker", "run_scheduler", "backup", "check_stock_ledger"):
        assert command in available, command


def test_the_environment_example_names_what_production_requires() -> None:
    example = dict(
        line.split("=", 1)
        for line in (UNITS / "orderloop.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert {"ORDERLOOP_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"} <= set(example)
    assert example["ORDERLOOP_ENV"] == "production"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units() -> None:
    for path in sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer")):
        result = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60
        )
        # Only complaints about this machine (no /srv/orderloop here) are expected.
        problems = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and "is not executable" not in line and "/srv/orderloop" not in line
        ]
        assert problems == [], (path.name, problems)
