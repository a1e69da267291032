"""`manage.py run_scheduler`: enqueue the periodic tasks (SLA check, payment expiry, ...) when they are due
until stopped with Ctrl-C / SIGTERM (core/scheduler.py). Any number may run: each period is enqueued
once. `--once` enqueues what is due and exits (cron-style, e.g. every minute); `--force` enqueues every
task now."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orderloop.core.scheduler import PeriodicTask, Scheduler, periodic_tasks


class Command(BaseCommand):
    help = "Enqueue the registered periodic tasks when due (ORDERLOOP['PERIODIC_TASKS']) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue the tasks that are due, then exit.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="With --once: enqueue every task now, due or not (one still waiting is not doubled).",
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="PATH",
            help="Only this task (dotted path; repeatable).",
        )
        parser.add_argument("--scheduler-id", default="", help="Name of this scheduler (default: host-pid).")

    def handle(self, *args: Any, **options: Any) -> None:
        entries = periodic_tasks()
        if options["only"]:
            unknown = set(options["only"]) - {entry.path for entry in entries}
            if unknown:
                raise CommandError(f"not a registered periodic task: {', '.join(sorted(unknown))}")
            entries = [entry for entry in entries if entry.path in options["only"]]
        if options["force"] and not options["once"]:
            raise CommandError("--force goes with --once")
        verbose = options["verbosity"] >= 1

        def report(entry: PeriodicTask, state: str) -> None:
            if verbose:
                self.stdout.write(f"{entry.path}: {state}")
                self.stdout.flush()

        scheduler = Scheduler(entries, scheduler_id=options["scheduler_id"] or None, on_enqueue=report)
        if options["once"]:
            scheduler.run_once(force=options["force"])
            return

        signal.signal(signal.SIGINT, scheduler.stop)
        signal.signal(signal.SIGTERM, scheduler.stop)
        if verbose:
            listing = ", ".join(f"{entry.path} every {entry.every:g}s" for entry in entries) or "nothing"
            self.stdout.write(f"Scheduler {scheduler.scheduler_id} started: {listing}. Stop with Ctrl-C.")
            self.stdout.flush()
        scheduler.run()
        if verbose:
            self.stdout.write("Scheduler stopped.")
