"""Card payments through Stripe (PaymentIntents and webhooks) with the official `stripe` SDK.

Settings (`ORDERLOOP[...]`): `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_API_BASE` (tests point it
at a local fake server), `STRIPE_CAPTURE_METHOD` (`automatic`, the default: the money is taken when the
customer confirms and `payment_intent.succeeded` marks the payment captured; or `manual`: the card is
authorized (`payment_intent.amount_capturable_updated`) and staff capture later).

Amounts go to Stripe in the currency's smallest unit (domain.to_minor_units). Every creating call carries an
idempotency key derived from our row id, so a retry after a timeout never charges twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction

from orderloop.core.money import Money

from .. import domain
from ..errors import (
    ProviderDeclined,
    ProviderError,
    ProviderNotConfigured,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
)
from ..models import PaymentStatus, RefundStatus
from .base import ProviderEvent, ProviderPayment, ProviderRefund, ProviderRefundLine

logger = logging.getLogger(__name__)

PAYMENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.amount_capturable_updated",
    "payment_intent.canceled",
}
REFUND_EVENTS = {"charge.refunded"}

REFUND_STATUS = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PROCESSING,
    "requires_action": RefundStatus.PROCESSING,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


def _setting(name: str, default: Any = None) -> Any:
    return settings.ORDERLOOP.get(name, default)


def _outside_transaction() -> None:
    """DESIGN.md §4: no call to an outside system inside a database transaction."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("Stripe must not be called inside a database transaction")


def capture_method() -> str:
    return "manual" if _setting("STRIPE_CAPTURE_METHOD", "automatic") == "manual" else "automatic"


# The largest amount in minor units our DecimalField(max_digits=12, decimal_places=2) columns can hold.
MAX_MINOR_UNITS = 10**10


class MalformedObject(ValueError):
    """A Stripe object whose field is not what Stripe documents (a webhook's body: 400, not a 500)."""


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedObject(f"{field} is not an object")
    return value


def _minor_units(value: Any, field: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_MINOR_UNITS:
        raise MalformedObject(f"{field} is not an amount in minor units")
    return value


def _text(value: Any, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise MalformedObject(f"{field} is not a text of at most {max_length} characters")
    return value


def _currency(value: Any) -> str:
    return _text(value, "currency", 3).upper()


def intent_payment(intent: Mapping[str, Any]) -> ProviderPayment:
    """Our view of a PaymentIntent object."""
    currency = _currency(intent.get("currency"))
    status = intent.get("status")
    error = intent.get("last_payment_error") or {}
    message = str(error.get("message") or "")[:500] if isinstance(error, Mapping) else ""
    received = _minor_units(intent.get("amount_received"), "amount_received")
    if status == "succeeded":
        ours = PaymentStatus.CAPTURED
    elif status == "requires_capture":
        ours = PaymentStatus.AUTHORIZED
    elif status == "canceled":
        ours = PaymentStatus.CANCELLED
    elif status == "requires_payment_method" and message:
        ours = PaymentStatus.FAILED
    else:
        ours = PaymentStatus.PENDING
    amount = _minor_units(intent.get("amount"), "amount")
    return ProviderPayment(
        reference=_text(intent.get("id"), "id", 255),
        status=ours,
        amount=domain.from_minor_units(amount, currency) if currency else Decimal(0),
        captured_amount=domain.from_minor_units(received, currency) if currency else Decimal(0),
        client_secret=str(intent.get("client_secret") or ""),
        failure_message=message,
        local_id=str(_mapping(intent.get("metadata"), "metadata").get("payment_id") or "")[:50],
    )


class StripeCardProvider:
    code = "stripe"
    refunds_automatically = True

    def _client(self) -> stripe.StripeClient:
        key = _setting("STRIPE_SECRET_KEY")
        if not key:
            raise ProviderNotConfigured(details={"setting": "STRIPE_SECRET_KEY"})
        base = _setting("STRIPE_API_BASE")
        return stripe.StripeClient(
            str(key),
            base_addresses={"api": str(base).rstrip("/")} if base else None,
            max_network_retries=int(_setting("STRIPE_MAX_NETWORK_RETRIES", 2)),
            http_client=stripe.new_default_http_client(timeout=int(_setting("STRIPE_TIMEOUT_SECONDS", 20))),
        )

    def _call(self, what: str, call: Any) -> dict[str, Any]:
        _outside_transaction()
        try:
            result = call()
        except stripe.CardError as exc:
            raise ProviderDeclined(str(exc.user_message or exc), details={"provider_code": exc.code}) from exc
        except stripe.StripeError as exc:
            logger.warning("stripe %s failed: %s", what, exc)
            raise ProviderError(details={"provider_message": str(exc.user_message or exc)[:300]}) from exc
        return result.to_dict()

    def authorize(
        self, *, amount: Money, order_number: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> ProviderPayment:
        params: dict[str, Any] = {
            "amount": domain.to_minor_units(amount.amount, amount.currency),
            "currency": amount.currency.lower(),
            "capture_method": capture_method(),
            "automatic_payment_methods": {"enabled": True},
            "description": f"Order {order_number}",
            "metadata": {"order_number": order_number, **metadata},
        }
        client = self._client()
        intent = self._call(
            "create intent",
            lambda: client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key}),  # type: ignore[arg-type]
        )
        return intent_payment(intent)

    def retrieve(self, *, reference: str) -> ProviderPayment:
        client = self._client()
        return intent_payment(
            self._call("retrieve intent", lambda: client.v1.payment_intents.retrieve(reference))
        )

    def capture(self, *, reference: str, amount: Money | None, idempotency_key: str) -> ProviderPayment:
        params: dict[str, Any] = {}
        if amount is not None:
            params["amount_to_capture"] = domain.to_minor_units(amount.amount, amount.currency)
        client = self._client()
        intent = self._call(
            "capture intent",
            lambda: client.v1.payment_intents.capture(
                reference,
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            ),
        )
        return intent_payment(intent)

    def refund(
        self,
        *,
        reference: str,
        amount: Money,
        idempotency_key: str,
        reason: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        params: dict[str, Any] = {
            "payment_intent": reference,
            "amount": domain.to_minor_units(amount.amount, amount.currency),
            "reason": "requested_by_customer",
            "metadata": {"reason": reason[:500], **(metadata or {})},
        }
        client = self._client()
        refund = self._call(
            "refund",
            lambda: client.v1.refunds.create(params, {"idempotency_key": idempotency_key}),  # type: ignore[arg-type]
        )
        currency = str(refund.get("currency") or amount.currency).upper()
        return ProviderRefund(
            reference=str(refund.get("id") or ""),
            status=REFUND_STATUS.get(str(refund.get("status")), RefundStatus.PROCESSING),
            amount=domain.from_minor_units(int(refund.get("amount") or 0), currency),
            failure_message=str(refund.get("failure_reason") or ""),
        )

    def parse_webhook(self, *, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        secret = _setting("STRIPE_WEBHOOK_SECRET")
        if not secret:
            raise ProviderNotConfigured(details={"setting": "STRIPE_WEBHOOK_SECRET"})
        signature = headers.get("Stripe-Signature") or headers.get("stripe-signature") or ""
        try:
            stripe.WebhookSignature.verify_header(payload, signature, str(secret))
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookSignatureInvalid() from exc
        # Verified: read the JSON ourselves (plain dicts, whatever the SDK's object model). Signed by
        # Stripe, yet not an event as Stripe documents it: refused as the request's fault, never a 500.
        try:
            return normalize_event(json.loads(payload))
        except ValueError as exc:  # MalformedObject, or not JSON at all
            raise WebhookPayloadInvalid(details={"reason": str(exc)[:200]}) from exc


def normalize_event(event: Any) -> ProviderEvent:
    if not isinstance(event, Mapping):
        raise MalformedObject("the event is not an object")
    event_id = _text(event.get("id"), "id", 255)
    if not event_id:
        raise MalformedObject("the event has no id")
    event_type = _text(event.get("type"), "type", 100)
    obj = _mapping(_mapping(event.get("data"), "data").get("object"), "data.object")
    base: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "payload": dict(event),
    }
    if event_type in PAYMENT_EVENTS:
        payment = intent_payment(obj)
        if event_type == "payment_intent.payment_failed":
            payment = ProviderPayment(
                reference=payment.reference,
                status=PaymentStatus.FAILED,
                amount=payment.amount,
                failure_message=payment.failure_message or "payment failed",
                local_id=payment.local_id,
            )
        return ProviderEvent(kind="payment", payment_reference=payment.reference, payment=payment, **base)
    if event_type in REFUND_EVENTS:
        currency = _currency(obj.get("currency"))
        items = _mapping(obj.get("refunds"), "refunds").get("data") or []
        if not isinstance(items, list):
            raise MalformedObject("refunds.data is not a list")
        refunds = tuple(
            ProviderRefundLine(
                reference=_text(item.get("id"), "refund id", 255),
                amount=domain.from_minor_units(_minor_units(item.get("amount"), "refund amount"), currency),
                status=REFUND_STATUS.get(str(item.get("status")), RefundStatus.PROCESSING),
                local_id=str(_mapping(item.get("metadata"), "refund metadata").get("refund_id") or "")[:50],
            )
            for item in (_mapping(item, "refund") for item in items)
        )
        return ProviderEvent(
            kind="refunds",
            payment_reference=_text(obj.get("payment_intent"), "payment_intent", 255),
            refunds=refunds,
            amount_refunded=domain.from_minor_units(
                _minor_units(obj.get("amount_refunded"), "amount_refunded"), currency
            )
            if currency
            else Decimal(0),
            currency=currency,
            **base,
        )
    return ProviderEvent(kind="other", payment_reference="", **base)
