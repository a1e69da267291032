from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orderloop.demo.loader import load_demo_data
from orderloop.demo.tables import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = (
        "Load the demo shop (staff users for every role, ~200 translated products, three warehouses, "
        "opening stock). Runs once: when the demo data is already there it changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="load even with ORDERLOOP_ENV=production (creates users with a well-known password)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False) and not options["allow_production"]:
            raise CommandError(
                "refusing to load demo data in production: it creates staff users whose password is "
                f"{DEMO_PASSWORD!r}; pass --allow-production if you really mean it"
            )
        summary = load_demo_data()
        if summary is None:
            self.stdout.write("Demo data is already there; nothing changed.")
            return
        self.stdout.write(
            f"Loaded demo data in {summary.seconds:.1f} s: {summary.products} products, "
            f"{summary.variants} variants in {summary.categories} categories, "
            f"{summary.warehouses} warehouses with {summary.bins} bins, "
            f"{summary.stock_rows} stock rows ({summary.units} units), {summary.orders} orders, "
            f"{summary.pictures} product pictures.\n"
            f"Demo logins (password {DEMO_PASSWORD}): {', '.join(DEMO_USERS)}"
        )
