"""`manage.py run_worker`: django-tasks-db's worker (`db_worker`) made to survive (core/workers.py).

It runs the library's own worker loop (the `db_worker` command) and adds what that loop lacks:

- a heartbeat thread, the lease on the tasks this worker claims (a task of a worker that stopped beating
  is put back by the others);
- when the loop stops on a database error (the connection was terminated, the server restarted), it
  reconnects with backoff (0.5 s doubling to --max-backoff, with jitter), puts back the task it was
  running and carries on;
- a task that failed because the database went away is put back to run again.

Stop it with SIGINT/SIGTERM: the current task finishes first (a second signal stops it at once), as with
`db_worker`.
"""

from __future__ import annotations

import contextlib
import logging
import random
import signal
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connections
from django_tasks.signals import task_finished

from orderloop.core import workers
from orderloop.core.models import ProcessRole

logger = logging.getLogger("orderloop.core.workers")

# A loop that ran this long without stopping was healthy: the next failure starts the backoff afresh.
STABLE_SECONDS = 60.0


class Command(BaseCommand):
    help = (
        "Run a task worker (django-tasks-db's loop) that heartbeats, reconnects after database errors and "
        "puts back tasks whose worker died."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue-name", default="*", help="Queues to process, comma-separated ('*': all)."
        )
        parser.add_argument(
            "--exclude-queues", default="", help="Queues to leave out (with --queue-name '*')."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls of an empty queue (default 1)."
        )
        parser.add_argument("--backend", default="default", help="The task backend (a database backend).")
        parser.add_argument(
            "--worker-id", default="", help="Unique id of this worker (default: host-pid-random)."
        )
        parser.add_argument(
            "--max-backoff",
            type=float,
            default=30.0,
            help="Longest wait in seconds between reconnection attempts (default 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"] or workers.new_process_id()
        heartbeat = workers.Heartbeat(process_id=worker_id, role=ProcessRole.WORKER)
        requeuer = workers.TransientFailureRequeuer()
        task_finished.connect(requeuer, dispatch_uid=f"requeue-{worker_id}")
        worker_options = {
            "queue_name": options["queue_name"],
            "exclude_queues": options["exclude_queues"],
            "interval": options["interval"],
            "backend_name": options["backend"],
            "worker_id": worker_id,
            "reload": False,
            "verbosity": options["verbosity"],
        }
        failures = 0
        heartbeat_started = False
        # Until the library's loop installs its own handlers (and while reconnecting before it ever ran):
        # a signal stops the worker through the clean-up below.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_args: sys.exit(0))
        try:
            while True:
                started = time.monotonic()
                try:
                    if failures:
                        # Whatever this worker was running when its loop stopped runs again.
                        workers.release_worker_tasks(worker_id)
                        requeuer.retry_pending()
                    heartbeat.beat_once()  # registered before it claims anything
                    if not heartbeat_started:
                        heartbeat.start()
                        heartbeat_started = True
                        logger.info("worker %s: started (lease %s)", worker_id, workers.lease())
                    elif failures:
                        logger.warning("worker %s: reconnected to the database; carrying on", worker_id)
                    call_command("db_worker", startup_delay=not failures, **worker_options)
                    return  # the library's loop ends only when asked to stop (a signal)
                except DatabaseError as error:
                    reason = f"{type(error).__name__}: {error}".strip()
                except Exception as error:  # a bug outside any task: log it whole, then carry on the same way
                    logger.exception("worker %s: the worker loop stopped", worker_id)
                    reason = type(error).__name__
                if time.monotonic() - started > STABLE_SECONDS:
                    failures = 0
                failures += 1
                delay = min(options["max_backoff"], 0.5 * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)
                logger.warning(
                    "worker %s: the worker loop stopped (%s); reconnecting in %.1f s (attempt %d)",
                    worker_id,
                    reason.splitlines()[0][:300] if reason else "?",
                    delay,
                    failures,
                )
                connections.close_all()
                time.sleep(delay)
        except KeyboardInterrupt:
            pass  # Ctrl-C while reconnecting (the library's own handler stops the loop otherwise)
        finally:
            task_finished.disconnect(dispatch_uid=f"requeue-{worker_id}")
            if heartbeat_started:
                heartbeat.stop()
            with contextlib.suppress(DatabaseError):  # the database is away: the row expires with the lease
                workers.forget(worker_id)
