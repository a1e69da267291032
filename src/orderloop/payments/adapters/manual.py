"""Shared behaviour of providers where people move the money (cash, bank transfers): nothing to call.

`authorize` opens a pending payment, `capture` records money that arrived, `refund` leaves the refund
pending until staff have paid it back by bank transfer and confirm it. There are no webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping

from orderloop.core.money import Money

from ..errors import WrongPaymentMethod
from ..models import PaymentStatus, RefundStatus
from .base import ProviderEvent, ProviderPayment, ProviderRefund


class ManualProvider:
    code = "manual"
    refunds_automatically = False

    def authorize(
        self, *, amount: Money, order_number: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> ProviderPayment:
        return ProviderPayment(reference="", status=PaymentStatus.PENDING, amount=amount.amount)

    def retrieve(self, *, reference: str) -> ProviderPayment:
        raise WrongPaymentMethod(details={"provider": self.code})

    def capture(self, *, reference: str, amount: Money | None, idempotency_key: str) -> ProviderPayment:
        if amount is None:
            raise WrongPaymentMethod(details={"provider": self.code, "amount": "required"})
        return ProviderPayment(
            reference=reference,
            status=PaymentStatus.CAPTURED,
            amount=amount.amount,
            captured_amount=amount.amount,
        )

    def refund(
        self,
        *,
        reference: str,
        amount: Money,
        idempotency_key: str,
        reason: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        return ProviderRefund(reference="", status=RefundStatus.PENDING, amount=amount.amount)

    def parse_webhook(self, *, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise WrongPaymentMethod(details={"provider": self.code, "webhooks": "none"})
