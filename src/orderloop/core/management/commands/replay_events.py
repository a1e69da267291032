"""Run a consumer again on every event it has not done (after fixing what made it fail)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from orderloop.core import consumers


class Command(BaseCommand):
    help = "Enqueue a consumer again for the events it has not done (failed, never run, or retrying)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("consumer", nargs="?", help="a consumer's name; omit to list them")
        parser.add_argument("--since", help="only events since this ISO 8601 time")

    def handle(self, *args: Any, **options: Any) -> None:
        known = consumers.registered()
        name = options["consumer"]
        if not name:
            for consumer in known.values():
                self.stdout.write(f"{consumer.name}: {consumers.pending(consumer.name).count()} not done")
            return
        if name not in known:
            raise CommandError(f"unknown consumer {name!r}; known: {', '.join(known) or 'none'}")
        since = parse_datetime(options["since"]) if options["since"] else None
        if options["since"] and since is None:
            raise CommandError("--since must be an ISO 8601 time, e.g. 2026-12-07T10:00:00+00:00")
        self.stdout.write(f"{name}: {consumers.replay(name, since=since)} events enqueued again")
