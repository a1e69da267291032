"""Errors of the payments area, each with a stable code (the API returns it as `code`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, DomainError, InvalidInput, NotFound


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    default_message = _("No such payment.")


class RefundNotFound(NotFound):
    code = "refund_not_found"
    default_message = _("No such refund.")


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    default_message = _("No invoice has this number.")


class NothingDue(Conflict):
    code = "nothing_due"
    default_message = _("Nothing is due on this order.")


class WrongPaymentMethod(Conflict):
    code = "wrong_payment_method"
    default_message = _("The order's payment method does not allow this.")


class AmountTooLarge(InvalidInput):
    code = "amount_too_large"
    default_message = _("The amount is larger than what may be paid or refunded.")


class InvalidPaymentTransition(Conflict):
    code = "invalid_payment_transition"
    default_message = _("The payment cannot move to this status from its current status.")


class RefundNotPending(Conflict):
    code = "refund_not_pending"
    default_message = _("Only a refund awaiting confirmation can be confirmed.")


class ProviderError(DomainError):
    """The payment provider refused the call or could not be reached; nothing was recorded as paid."""

    code = "payment_provider_error"
    http_status = 502
    default_message = _("The payment provider could not complete the request.")


class ProviderDeclined(Conflict):
    code = "payment_declined"
    default_message = _("The payment provider declined the request.")


class WebhookSignatureInvalid(DomainError):
    code = "invalid_signature"
    http_status = 400
    default_message = _("The webhook signature is not valid.")


class WebhookPayloadInvalid(DomainError):
    """Correctly signed, but not an event as Stripe documents it: 400, so it is not mistaken for our fault."""

    code = "webhook_payload_invalid"
    http_status = 400
    default_message = _("The webhook body is not an event Stripe sends.")


class ProviderNotConfigured(DomainError):
    code = "payment_provider_not_configured"
    http_status = 503
    default_message = _("The payment provider is not configured.")


class StatementInvalid(InvalidInput):
    code = "statement_invalid"
    default_message = _("The bank statement could not be read.")
