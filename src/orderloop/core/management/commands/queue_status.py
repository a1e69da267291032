"""`manage.py queue_status`: the task queue's depth and age, the workers and the scheduler, at a glance.

Exits 1 when the system is unhealthy (the same judgement as GET /health/), so it can serve a cron job
or a monitoring agent too. `--json` prints the health report and the per-queue figures as JSON.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orderloop.core.health import system_health
from orderloop.core.models import PeriodicJob, ProcessHeartbeat


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Command(BaseCommand):
    help = (
        "Show the task queue (depth and age per queue), the workers and the scheduler; exit 1 if unhealthy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        report = system_health()
        queues = []
        if report["checks"]["database"]["ok"]:
            per_queue = (
                DBTaskResult.objects.ready()
                .values("queue_name")
                .annotate(ready=Count("id"), oldest=Min("enqueued_at"))
                .order_by("queue_name")
            )
            running = dict(
                DBTaskResult.objects.running()
                .values("queue_name")
                .annotate(n=Count("id"))
                .values_list("queue_name", "n")
            )
            failed = dict(
                DBTaskResult.objects.failed()
                .filter(finished_at__gte=now - timedelta(days=1))
                .values("queue_name")
                .annotate(n=Count("id"))
                .values_list("queue_name", "n")
            )
            names = sorted({row["queue_name"] for row in per_queue} | set(running) | set(failed))
            ready: dict[str, dict[str, Any]] = {row["queue_name"]: dict(row) for row in per_queue}
            for name in names:
                oldest = ready.get(name, {}).get("oldest")
                queues.append(
                    {
                        "queue": name,
                        "ready": ready.get(name, {}).get("ready", 0),
                        "oldest_enqueued_seconds": None if oldest is None else (now - oldest).total_seconds(),
                        "running": running.get(name, 0),
                        "failed_last_24h": failed.get(name, 0),
                    }
                )
        if options["json"]:
            self.stdout.write(json.dumps({**report, "queues": queues}, indent=2, default=str))
        else:
            self._print(report, queues, now)
        if not report["healthy"]:
            raise SystemExit(1)

    def _print(self, report: dict[str, Any], queues: list[dict[str, Any]], now: Any) -> None:
        write = self.stdout.write
        checks = report["checks"]
        write(f"Health: {'OK' if report['healthy'] else 'UNHEALTHY'}")
        for name, check in checks.items():
            details = ", ".join(f"{key}={value}" for key, value in check.items() if key != "ok")
            write(f"  {name:<11} {'ok ' if check['ok'] else 'BAD'}  {details}")
        if not checks["database"]["ok"]:
            return
        write("")
        write(f"{'queue':<20} {'ready':>7} {'oldest':>9} {'running':>8} {'failed 24h':>11}")
        empty = {
            "queue": "(none)",
            "ready": 0,
            "oldest_enqueued_seconds": None,
            "running": 0,
            "failed_last_24h": 0,
        }
        for row in queues or [empty]:
            write(
                f"{row['queue']:<20} {row['ready']:>7} {_age(row['oldest_enqueued_seconds']):>9} "
                f"{row['running']:>8} {row['failed_last_24h']:>11}"
            )
        write("")
        write("Processes (last beat):")
        beats = ProcessHeartbeat.objects.all()
        for process in beats:
            write(
                f"  {process.role:<9} {process.process_id:<40} {_age((now - process.beat_at).total_seconds())} ago"
                f" (up since {process.started_at:%Y-%m-%d %H:%M:%S})"
            )
        if not beats:
            write("  none")
        write("")
        write("Periodic tasks (next run):")
        for job in PeriodicJob.objects.all():
            delta = (job.next_run_at - now).total_seconds()
            when = f"in {_age(delta)}" if delta > 0 else "due"
            write(f"  {job.path:<50} {when:<10} last: {job.last_outcome or '-'}")
