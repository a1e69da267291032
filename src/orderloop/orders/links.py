"""The customer's links to an order: the signed follow-the-order page and the pay page.

They live with orders, not with the storefront that serves the pages, so everything that sends a link
(emails, parcel labels, the payment pages) depends downward on orders instead of on an entry point.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Order

TRACK_SALT = "orderloop.storefront.track"


def tracking_token(number: str) -> str:
    return signing.Signer(salt=TRACK_SALT).sign(number)


def order_from_tracking_token(token: str) -> Order | None:
    try:
        number = signing.Signer(salt=TRACK_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Order.objects.select_related("delivery_method", "payment_method").filter(number=number).first()


def _absolute(path: str) -> str:
    return str(settings.ORDERLOOP.get("SITE_URL", "")).rstrip("/") + path


def tracking_url(order: Order) -> str:
    return _absolute(reverse("storefront:order_track", args=[tracking_token(order.number)]))


def order_pay_url(order: Order) -> str:
    return _absolute(reverse("storefront:order_pay", args=[tracking_token(order.number)]))


def card_payments_enabled() -> bool:
    """Whether customers can pay by card (a card provider is configured), so a pay link leads somewhere."""
    return bool(settings.ORDERLOOP.get("STRIPE_SECRET_KEY"))
