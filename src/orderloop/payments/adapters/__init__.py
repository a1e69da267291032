"""Payment providers, one module each behind adapters/base.PaymentProvider."""

from __future__ import annotations

from ..models import Provider
from .bank_transfer import BankTransferProvider
from .base import PaymentProvider
from .cod import CashOnDeliveryProvider
from .stripe_card import StripeCardProvider


def provider_for(code: str) -> PaymentProvider:
    if code == Provider.STRIPE:
        return StripeCardProvider()
    if code == Provider.CASH:
        return CashOnDeliveryProvider()
    return BankTransferProvider()
