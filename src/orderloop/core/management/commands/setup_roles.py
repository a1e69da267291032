from typing import Any

from django.core.management.base import BaseCommand

from orderloop.core.services import roles_sync


class Command(BaseCommand):
    help = "Create the staff role groups (Admin, Manager, Warehouse, Courier, Support, Analyst) and their permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = roles_sync()
        if options["verbosity"] >= 1:
            for role, count in counts.items():
                self.stdout.write(f"{role}: {count} permissions")
