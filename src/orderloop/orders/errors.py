"""Errors of the orders area, each with a stable code (the API returns it as `code`)."""

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, InvalidInput, NotFound
from orderloop.inventory.errors import InsufficientStock

__all__ = [
    "DuplicateExternalRef",
    "InsufficientStock",
    "InvalidTransition",
    "MethodNotFound",
    "OrderAlreadyOnHold",
    "OrderNotFound",
    "OrderNotOnHold",
    "OrderOnHold",
    "ReasonRequired",
    "StockNotReserved",
]


class OrderNotFound(NotFound):
    code = "order_not_found"
    default_message = _("No order has this number.")


class MethodNotFound(NotFound):
    code = "method_not_found"
    default_message = _("No delivery or payment method has this code.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = _("The order cannot move to this status from its current status.")


class OrderOnHold(Conflict):
    code = "order_on_hold"
    default_message = _("The order is on hold; release it first.")


class StockNotReserved(Conflict):
    code = "stock_not_reserved"
    default_message = _("Some lines are still waiting for stock.")


class OrderAlreadyOnHold(Conflict):
    code = "already_on_hold"
    default_message = _("The order is already on hold.")


class OrderNotOnHold(Conflict):
    code = "not_on_hold"
    default_message = _("The order is not on hold.")


class DuplicateExternalRef(Conflict):
    code = "duplicate_external_ref"
    default_message = _("An order with this external reference already exists for this channel.")


class ReasonRequired(InvalidInput):
    default_message = _("A reason is required.")
