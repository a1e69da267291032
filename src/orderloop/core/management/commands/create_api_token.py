from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orderloop.core import roles
from orderloop.core.services import api_token_create, roles_sync, staff_user_get_or_create


class Command(BaseCommand):
    help = "Create an API token for a staff user (created if missing). The token is the last line printed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, help=f"one of {', '.join(roles.role_names())}")
        parser.add_argument("--name", default="", help="a label for the token, e.g. the integration's name")

    def handle(self, *args: Any, **options: Any) -> None:
        role = roles.normalize_role(options["role"])
        if role is None:
            raise CommandError(
                f"unknown role {options['role']!r}; choose one of {', '.join(roles.role_names())}"
            )
        roles_sync()
        user, created = staff_user_get_or_create(username=options["username"], role=role)
        issued = api_token_create(user=user, name=options["name"] or "cli")
        self.stdout.write(f"{'Created' if created else 'Found'} user {user.username} with role {role}.")
        self.stdout.write("Store this token now; it is shown only once:")
        self.stdout.write(issued.plaintext)
