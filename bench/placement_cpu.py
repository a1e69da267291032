"""Benchmark: the server's own cost of one order placement, measured in-process.

    .venv/bin/python bench/placement_cpu.py                  # PostgreSQL (DATABASE_URL or 127.0.0.1:5432)
    .venv/bin/python bench/placement_cpu.py --sqlite         # the embedded SQLite default
    .venv/bin/python bench/placement_cpu.py --callgrind      # also instructions per placement (valgrind)

The same request as bench/place_orders.py (POST /api/v1/orders with a bearer token and an
Idempotency-Key, an order of one SKU from a customer of its own), handed straight to the WSGI
application in one thread, so what is measured is Django, ninja, the services and the driver, not HTTP
or other clients. Prints the CPU (user + system) per placement, its wall time, and the time PostgreSQL
keeps the request waiting. CPU time on this kind of machine drifts with the machine's phase; with
`--callgrind` the script also counts the instructions one placement executes in user space (valgrind's
callgrind, the difference between two runs of different lengths, so start-up cancels out), a figure that
repeats to a fraction of a percent and is what to compare before and after a change to Python code.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The benchmark next door: its scratch database, catalog and request.
import place_orders

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "orderloop_bench_cpu"

# Runs in a Django process of its own: `count` placements after a warm-up, each through the WSGI
# application as granian hands it a request.
PLACE_SCRIPT = r"""
import io, itertools, json, resource, sys, time, uuid, gc
sys.path.insert(0, sys.argv[4])
import place_orders
from orderloop.wsgi import application
token, count, warm_up = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
customers = itertools.count(5_000_000 + count * 10)

def place(n):
    body = place_orders.order_body(f"BENCH-{(n * 31) % place_orders.SKU_COUNT:04d}", next(customers)).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/orders", "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex, "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    status = []
    response = application(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(response)
    response.close()
    if not status[0].startswith("201"):
        raise SystemExit(f"placement failed: {status[0]}")

for n in range(warm_up):
    place(n)
gc.collect()
before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
for n in range(count):
    place(warm_up + n)
after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - started
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(json.dumps({"cpu": cpu, "system": after.ru_stime - before.ru_stime, "wall": wall, "count": count}))
"""


def run_placements(env: dict[str, str], token: str, count: int, warm_up: int, wrapper: list[str]) -> dict:
    result = subprocess.run(
        [*wrapper, sys.executable, "-c", PLACE_SCRIPT, token, str(count), str(warm_up), str(ROOT / "bench")],
        env={**env, "DJANGO_SETTINGS_MODULE": "orderloop.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"placements failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def instructions(env: dict[str, str], token: str, count: int) -> int:
    """User-space instructions of a run of `count` placements (after a warm-up of 20), by callgrind."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "callgrind.out"
        run_placements(
            env,
            token,
            count,
            20,
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}", "--log-file=/dev/null"],
        )
        match = re.search(r"^summary: (\d+)$", output.read_text(errors="replace"), re.MULTILINE)
        if match is None:
            raise SystemExit("callgrind wrote no summary")
        return int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="measure on the embedded SQLite default")
    parser.add_argument("--count", type=int, default=1000, help="placements measured")
    parser.add_argument(
        "--callgrind", action="store_true", help="also count instructions per placement (needs valgrind)"
    )
    args = parser.parse_args()
    if args.callgrind and shutil.which("valgrind") is None:
        raise SystemExit("--callgrind needs valgrind (Debian package valgrind)")

    place_orders.BENCH_DB = BENCH_DB
    env, _url, cleanup = place_orders.prepare_database(args.sqlite)
    engine = "SQLite" if args.sqlite else "PostgreSQL"
    try:
        token = json.loads(place_orders.run_django(place_orders.SETUP_SCRIPT, env))["token"]
        measured = run_placements(env, token, args.count, 100, [])
        per = 1000 / measured["count"]
        print(
            f"Orderloop placement cost — {engine}, in-process, one thread, {measured['count']} placements\n"
            f"  CPU per placement: {measured['cpu'] * per:.2f} ms (system {measured['system'] * per:.2f} ms)   "
            f"wall {measured['wall'] * per:.2f} ms (waiting for the database "
            f"{(measured['wall'] - measured['cpu']) * per:.2f} ms)"
        )
        if args.callgrind:
            short, long = 20, 120
            extra = instructions(env, token, long) - instructions(env, token, short)
            print(
                f"  instructions per placement (callgrind, user space): {extra / (long - short) / 1e6:.2f} M"
            )
    finally:
        cleanup()  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    sys.exit(main())
