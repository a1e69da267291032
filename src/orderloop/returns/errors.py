"""Errors of the returns area, each with a stable code (the API returns it as `code`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, InvalidInput, NotFound


class ReturnNotFound(NotFound):
    code = "return_not_found"
    default_message = _("No return has this number.")


class PolicyNotFound(NotFound):
    code = "return_policy_not_found"
    default_message = _("No return policy for this country.")


class OrderNotReturnable(Conflict):
    """The order as a whole cannot be returned: not delivered (yet), or the window is over."""

    code = "order_not_returnable"
    default_message = _("This order cannot be returned.")


class ReturnWindowClosed(OrderNotReturnable):
    code = "return_window_closed"
    default_message = _("The return window for this order has closed.")


class OrderNotDelivered(OrderNotReturnable):
    code = "order_not_delivered"
    default_message = _("Items can be returned once the order has been delivered.")


class OrderFullyReturned(OrderNotReturnable):
    code = "order_fully_returned"
    default_message = _("Every item of this order has been returned already.")


class LinesNotReturnable(InvalidInput):
    """Some of the chosen lines cannot be returned; `details` names each line and why."""

    code = "lines_not_returnable"
    default_message = _("Some items cannot be returned.")


class InvalidReturnTransition(Conflict):
    code = "invalid_return_transition"
    default_message = _("The return cannot move to this status from its current status.")


class PhotoInvalid(InvalidInput):
    code = "photo_invalid"
    default_message = _("The photo could not be accepted.")


class NothingToRefund(Conflict):
    code = "nothing_to_refund"
    default_message = _("Nothing is owed to the customer for this return.")


class BankDetailsRequired(InvalidInput):
    code = "bank_details_required"
    default_message = _("A refund by bank transfer needs the customer's IBAN and account holder.")


class BankDetailsInvalid(InvalidInput):
    code = "bank_details_invalid"
    default_message = _("The IBAN is not valid: check it on a bank statement or in the banking app.")


class OrderNotRefused(Conflict):
    code = "order_not_refused"
    default_message = _("Only a refused order comes back as a refused return.")
