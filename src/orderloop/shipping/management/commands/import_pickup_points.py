from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orderloop.core.errors import DomainError
from orderloop.shipping.services import pickup_points_import


class Command(BaseCommand):
    help = "Import a carrier's pickup points (branches, lockers, service points) into the checkout chooser."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("carrier", help="carrier code, e.g. nova_poshta or postnord")
        parser.add_argument("--country", default="UA")
        parser.add_argument("--city", default="")
        parser.add_argument("--postal-code", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = pickup_points_import(
                carrier_code=options["carrier"],
                country=options["country"],
                city=options["city"],
                postal_code=options["postal_code"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, deactivated {result.deactivated}"
        )
