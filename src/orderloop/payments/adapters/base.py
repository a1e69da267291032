"""The one interface every payment provider implements (DESIGN.md §1: one module per outside system).

Adapters only talk to the outside system and translate its answers into the values below; they never
touch the database. Services call them outside any transaction (DESIGN.md §4) and record the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from orderloop.core.money import Money


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider sees it. `status` is one of PaymentStatus' values."""

    reference: str
    status: str
    amount: Decimal
    captured_amount: Decimal = Decimal("0")
    client_secret: str = ""
    failure_message: str = ""
    # Our Payment id as the provider echoes it back (metadata), to match before the reference is stored.
    local_id: str = ""


@dataclass(frozen=True)
class ProviderRefund:
    """`status` is one of RefundStatus' values."""

    reference: str
    status: str
    amount: Decimal
    failure_message: str = ""


@dataclass(frozen=True)
class ProviderRefundLine:
    reference: str
    amount: Decimal
    status: str
    local_id: str = ""  # our Refund id, from the refund's metadata


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event, normalised. `kind` is what the service does with it:
    `payment` (the payment's new status is in `payment`), `refunds` (the charge's refunds) or `other`."""

    event_id: str
    type: str
    kind: str
    payment_reference: str
    payload: dict[str, Any]
    payment: ProviderPayment | None = None
    refunds: tuple[ProviderRefundLine, ...] = field(default_factory=tuple)
    amount_refunded: Decimal = Decimal("0")
    currency: str = ""


class PaymentProvider(Protocol):
    code: str
    # The provider refunds by API; otherwise staff pay the money back (by bank transfer) and confirm.
    refunds_automatically: bool

    def authorize(
        self, *, amount: Money, order_number: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> ProviderPayment:
        """Start a payment of `amount` (a card intent; nothing for cash and transfers)."""
        ...

    def retrieve(self, *, reference: str) -> ProviderPayment: ...

    def capture(self, *, reference: str, amount: Money | None, idempotency_key: str) -> ProviderPayment:
        """Take authorized money (all of it when `amount` is None)."""
        ...

    def refund(
        self,
        *,
        reference: str,
        amount: Money,
        idempotency_key: str,
        reason: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ProviderRefund: ...

    def parse_webhook(self, *, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the signature (WebhookSignatureInvalid when it does not hold) and normalise the event."""
        ...
