from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, NotFound


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _("An account with this email address already exists.")


class AddressNotFound(NotFound):
    code = "address_not_found"
    default_message = _("No such address.")
