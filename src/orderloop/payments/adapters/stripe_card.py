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
from ..errors import ProviderDeclined, ProviderError, ProviderNotConfigured, WebhookSignatureInvalid
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


def intent_payment(intent: Mapping[str, Any]) -> ProviderPayment:
    """Our view of a PaymentIntent object."""
    currency = str(intent.get("currency") or "").upper()
    status = intent.get("status")
    error = intent.get("last_payment_error") or {}
    message = str(error.get("message") or "")[:500] if isinstance(error, Mapping) else ""
    received = int(intent.get("amount_received") or 0)
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
    return ProviderPayment(
        reference=str(intent.get("id") or ""),
        status=ours,
        amount=domain.from_minor_units(int(intent.get("amount") or 0), currency) if currency else Decimal(0),
        captured_amount=domain.from_minor_units(received, currency) if currency else Decimal(0),
        client_secret=str(intent.get("client_secret") or ""),
        failure_message=message,
        local_id=str((intent.get("metadata") or {}).get("payment_id") or ""),
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
            stripe.Webhook.construct_event(payload, signature, str(secret))
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookSignatureInvalid() from exc
        # Verified: read the JSON ourselves (plain dicts, whatever the SDK's object model).
        event = json.loads(payload)
        return normalize_event(event)


def normalize_event(event: Mapping[str, Any]) -> ProviderEvent:
    event_type = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    base: dict[str, Any] = {
        "event_id": str(event.get("id") or ""),
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
        currency = str(obj.get("currency") or "").upper()
        refunds = tuple(
            ProviderRefundLine(
                reference=str(item.get("id") or ""),
                amount=domain.from_minor_units(int(item.get("amount") or 0), currency),
                status=REFUND_STATUS.get(str(item.get("status")), RefundStatus.PROCESSING),
                local_id=str((item.get("metadata") or {}).get("refund_id") or ""),
            )
            for item in ((obj.get("refunds") or {}).get("data") or [])
        )
        return ProviderEvent(
            kind="refunds",
            payment_reference=str(obj.get("payment_intent") or ""),
            refunds=refunds,
            amount_refunded=domain.from_minor_units(int(obj.get("amount_refunded") or 0), currency)
            if currency
            else Decimal(0),
            currency=currency,
            **base,
        )
    return ProviderEvent(kind="other", payment_reference="", **base)
