"""`make run`: prepare the database, then run and supervise everything Orderloop needs until Ctrl-C.

The processes: the web server (Django's development server), a task worker (`run_worker`: e-mails,
webhooks, carrier calls) and the scheduler (`run_scheduler`: payment expiry, SLA checks, low-stock
alerts, tracking polls, the refund SLA). One that exits is started again after a pause (1 s, doubling up
to 30 s while it keeps failing), with a line in the log; the others carry on. Ctrl-C (or SIGTERM) stops
them all: each gets one SIGINT (a worker finishes its current task first), then SIGKILL after 10 s.

Honours DATABASE_URL (PostgreSQL; default SQLite under ./var) and PORT (default 8000, bound to 127.0.0.1).
Running it again reuses the database; demo data is loaded only the first time. The installation's secret
key is made on the first run and kept in var/secret_key. On PostgreSQL the processes use Django's
connection pool (DATABASE_POOL), so the development server's thread per request does not keep a
connection each.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = [PYTHON, str(ROOT / "manage.py")]
sys.path.insert(0, str(ROOT / "src"))

from orderloop.core.secret_key import installation_secret_key  # noqa: E402 - after the path is set

FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
STABLE_SECONDS = 60.0  # a process that ran this long was healthy: its next restart is quick again
STOP_TIMEOUT = 10.0
PROCESS_DEFAULTS = {
    "PYTHONUNBUFFERED": "1",
    # PostgreSQL only (settings ignore it for SQLite): a pool of at most 8 connections per process
    # instead of one kept for 60 s by each of the development server's request threads.
    "DATABASE_POOL": "8",
}


def log(message: str) -> None:
    print(f"[run {time.strftime('%H:%M:%S')}] {message}", flush=True)


def manage(*args: str) -> None:
    subprocess.run([*MANAGE, *args], cwd=ROOT, check=True)


def _die_with_parent() -> None:
    """In the child: get SIGTERM if `make run` itself is killed, so no process is left behind (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def process_commands(port: str) -> dict[str, list[str]]:
    """What `make run` runs, by the name it logs."""
    return {
        "web server": [*MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload"],
        "task worker": [*MANAGE, "run_worker", "--queue-name", "*"],
        "scheduler": [*MANAGE, "run_scheduler"],
    }


def prepare_environment(port: str) -> Path:
    """The environment every process gets; returns the data directory."""
    os.environ.setdefault("ORDERLOOP_HOME", str(ROOT))
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    for name, value in PROCESS_DEFAULTS.items():
        os.environ.setdefault(name, value)
    var_dir = Path(os.environ.get("ORDERLOOP_VAR_DIR", Path(os.environ["ORDERLOOP_HOME"]) / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    installation_secret_key(var_dir)
    return var_dir


@dataclass
class Supervised:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    delay: float = FIRST_RESTART_DELAY
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        # Its own session: Ctrl-C in the terminal reaches `make run` only, which stops each child once.
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, start_new_session=True, preexec_fn=_die_with_parent
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def check(self, now: float) -> None:
        """Notice an exit and plan the restart; start it again when its pause is over."""
        if self.process is not None and self.process.poll() is not None:
            code = self.process.returncode
            self.process = None
            if now - self.started_at >= STABLE_SECONDS:
                self.delay = FIRST_RESTART_DELAY
            self.restart_at = now + self.delay
            log(f"{self.name} exited (code {code}); restarting it in {self.delay:.0f} s")
            self.delay = min(MAX_RESTART_DELAY, self.delay * 2)
        if self.process is None and self.restart_at is not None and now >= self.restart_at:
            self.restarts += 1
            self.start()
            assert self.process is not None
            log(f"{self.name} restarted (pid {self.process.pid}, restart {self.restarts})")

    def interrupt(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def wait(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{self.name} did not stop in {STOP_TIMEOUT:.0f} s; killing it")
            self.process.kill()
            self.process.wait()


def main() -> int:
    port = os.environ.get("PORT", "8000")
    prepare_environment(port)

    manage("compile_translations")
    manage("migrate", "--no-input", "-v", "0")
    manage("setup_roles", "-v", "0")
    manage("load_demo_data")

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    children = [Supervised(name, command) for name, command in process_commands(port).items()]
    for child in children:
        child.start()

    time.sleep(1.5)
    print(
        "\n"
        f"  Orderloop is running:  http://127.0.0.1:{port}/\n"
        f"  The shop (storefront): http://127.0.0.1:{port}/shop/\n"
        f"  API docs:              http://127.0.0.1:{port}/api/v1/docs\n"
        f"  Health:                http://127.0.0.1:{port}/health/\n"
        + (
            ""
            if os.environ.get("EMAIL_HOST")
            else "  Emails to customers are kept in the back office's Outbox (no mail server configured).\n"
        )
        + "  Demo logins (password demo1234): admin, manager, warehouse, courier, support, analyst\n"
        "  Running: web server, task worker, scheduler (each restarted if it exits).\n"
        "  Press Ctrl-C to stop them all.\n",
        flush=True,
    )

    while not stopping:
        now = time.monotonic()
        for child in children:
            if not stopping:
                child.check(now)
        time.sleep(0.3)

    for child in children:
        child.interrupt()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        child.wait(deadline)
    print("Stopped web server, task worker and scheduler.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
