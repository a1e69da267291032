"""No shared secret: every installation not given a SECRET_KEY makes its own random one, kept in its
var/ (mode 0600), so nobody can sign a customer's tracking link with a key written in the source;
production refuses to start without its own key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core import signing

from orderloop.core.secret_key import installation_secret_key
from orderloop.orders.links import TRACK_SALT

ROOT = Path(__file__).resolve().parents[2]
# The key every installation shared before (it was written in settings.py).
FORMER_BUILT_IN_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"

TRY_LINK = """
from django.conf import settings
from django.core import signing
from orderloop.orders.links import TRACK_SALT, tracking_token
try:
    signing.Signer(salt=TRACK_SALT).unsign({forged!r})
    print("FORGED-LINK-ACCEPTED")
except signing.BadSignature:
    print("FORGED-LINK-REFUSED")
print("KEY", settings.SECRET_KEY)
print("LINK", tracking_token("W-100042"))
"""


def _environment(var: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "ORDERLOOP_ENV"}
    }
    env.update(ORDERLOOP_VAR_DIR=str(var), **extra)
    return env


def _shell(var: Path, code: str) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        cwd=ROOT,
        env=_environment(var),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [line.split(" ", 1) for line in result.stdout.splitlines()]
    return {parts[0]: parts[1] if len(parts) > 1 else "" for parts in lines}


def test_each_installation_has_its_own_key_and_a_link_signed_elsewhere_is_refused(tmp_path: Path) -> None:
    forged = signing.Signer(key=FORMER_BUILT_IN_KEY, salt=TRACK_SALT).sign("W-100042")
    first = _shell(tmp_path / "shop-a", TRY_LINK.format(forged=forged))
    assert "FORGED-LINK-REFUSED" in first
    key_file = tmp_path / "shop-a" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first["KEY"] == key_file.read_text().strip() and len(first["KEY"]) >= 50
    # The same installation keeps its key (links in e-mails already sent stay valid) ...
    again = _shell(tmp_path / "shop-a", TRY_LINK.format(forged=forged))
    assert again["KEY"] == first["KEY"] and again["LINK"] == first["LINK"]
    # ... and another installation cannot sign (or read) the first one's links.
    other = _shell(tmp_path / "shop-b", TRY_LINK.format(forged=first["LINK"]))
    assert other["KEY"] != first["KEY"] and "FORGED-LINK-REFUSED" in other


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    code = "import sys; from pathlib import Path; from orderloop.core.secret_key import installation_secret_key; "
    code += f"print(installation_secret_key(Path({str(tmp_path / 'var')!r})))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in started}
    assert len(keys) == 1 and keys == {(tmp_path / "var" / "secret_key").read_text().strip()}
    assert sorted(path.name for path in (tmp_path / "var").iterdir()) == ["secret_key"]  # no leftovers
    assert installation_secret_key(tmp_path / "var") in keys


def test_production_refuses_to_start_without_its_own_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        cwd=ROOT,
        env=_environment(tmp_path, ORDERLOOP_ENV="production", ALLOWED_HOSTS="shop.example.com"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set. Production needs its own secret key" in result.stderr
    assert not (tmp_path / "secret_key").exists()  # production never makes one up
