"""`make run`: prepare the database, then run the web server and the task worker until Ctrl-C.

Honours DATABASE_URL (PostgreSQL; default SQLite under ./var) and PORT (default 8000, bound to 127.0.0.1).
Running it again reuses the database; demo data is loaded only the first time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = [PYTHON, str(ROOT / "manage.py")]


def manage(*args: str) -> None:
    subprocess.run([*MANAGE, *args], cwd=ROOT, check=True)


def main() -> int:
    port = os.environ.get("PORT", "8000")
    (ROOT / "var").mkdir(exist_ok=True)
    os.environ.setdefault("ORDERLOOP_HOME", str(ROOT))
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")

    manage("compile_translations")
    manage("migrate", "--no-input", "-v", "0")
    manage("setup_roles", "-v", "0")
    manage("load_demo_data")

    web = subprocess.Popen([*MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT)
    worker = subprocess.Popen([*MANAGE, "db_worker", "--queue-name", "*", "--no-reload"], cwd=ROOT)
    children = [web, worker]

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    time.sleep(1.5)
    print(
        "\n"
        f"  Orderloop is running:  http://127.0.0.1:{port}/\n"
        f"  The shop (storefront): http://127.0.0.1:{port}/shop/\n"
        f"  API docs:              http://127.0.0.1:{port}/api/v1/docs\n"
        + (
            ""
            if os.environ.get("EMAIL_HOST")
            else "  Emails to customers are kept in the back office's Outbox (no mail server configured).\n"
        )
        + "  Demo logins (password demo1234): admin, manager, warehouse, courier, support, analyst\n"
        "  Press Ctrl-C to stop the web server and the task worker.\n",
        flush=True,
    )

    exit_code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(
                    f"{'web server' if child is web else 'task worker'} exited ({child.returncode}); stopping"
                )
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.3)

    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    print("Stopped web server and task worker.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
