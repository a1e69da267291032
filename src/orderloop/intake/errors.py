"""Errors of order imports, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import InvalidInput, NotFound


class ImportFileInvalid(InvalidInput):
    code = "import_file_invalid"
    default_message = _("The file cannot be imported.")


class OrderImportNotFound(NotFound):
    code = "order_import_not_found"
    default_message = _("No order import has this id.")
