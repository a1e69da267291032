"""Writes of the storefront: the saved cart and the checkout. Checking out calls the orders service
(the same rules as every channel) and, in the same transaction, links the order to the account,
saves the address and empties the cart."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, time

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.catalog.models import Variant
from orderloop.core.errors import InvalidInput, NotFound
from orderloop.customers.models import Customer
from orderloop.customers.services import address_save, customer_order_link
from orderloop.orders.domain import AddressData, CustomerData, LineData, PreferredDelivery
from orderloop.orders.models import Channel, DeliveryKind, DeliveryMethod, Order, Priority
from orderloop.orders.services import order_place, shop_calendar

from . import domain, selectors
from .models import Cart, CartLine

MAX_CART_LINES = 50
MAX_LINE_QUANTITY = 99


class CartLineNotFound(NotFound):
    code = "cart_line_not_found"


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


def cart_create(*, customer: Customer | None = None) -> Cart:
    return Cart.objects.create(token=new_cart_token(), customer=customer)


def _sellable(variant_id: int) -> Variant:
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None or not (variant.is_active and variant.product.is_active):
        raise InvalidInput(
            _("This product is not for sale."), details={"variant": _("This product is not for sale.")}
        )
    return variant


def _quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidInput(details={"quantity": _("Must be between 1 and %(n)s.") % {"n": MAX_LINE_QUANTITY}})
    return quantity


def cart_add(*, cart: Cart, variant_id: int, quantity: int = 1) -> CartLine:
    """Add units of a variant (to the line already there, if any)."""
    _quantity(quantity)
    variant = _sellable(variant_id)
    with transaction.atomic():
        locked = Cart.objects.select_for_update().get(pk=cart.pk)
        line = CartLine.objects.filter(cart=locked, variant=variant).first()
        if line is not None:
            line.quantity = min(line.quantity + quantity, MAX_LINE_QUANTITY)
            line.save(update_fields=["quantity"])
        else:
            if CartLine.objects.filter(cart=locked).count() >= MAX_CART_LINES:
                raise InvalidInput(details={"variant": _("The cart is full.")})
            line = CartLine.objects.create(cart=locked, variant=variant, quantity=quantity)
        locked.save(update_fields=["updated_at"])
        return line


def cart_set_quantity(*, cart: Cart, line_id: int, quantity: int) -> CartLine | None:
    """Change a line's quantity; 0 removes it (returns None)."""
    if quantity == 0:
        cart_remove(cart=cart, line_id=line_id)
        return None
    _quantity(quantity)
    updated = CartLine.objects.filter(pk=line_id, cart=cart).update(quantity=quantity)
    if not updated:
        raise CartLineNotFound()
    cart.save(update_fields=["updated_at"])
    return CartLine.objects.get(pk=line_id)


def cart_remove(*, cart: Cart, line_id: int) -> None:
    deleted, _rows = CartLine.objects.filter(pk=line_id, cart=cart).delete()
    if not deleted:
        raise CartLineNotFound()


def cart_merge_on_sign_in(*, guest_cart: Cart | None, customer: Customer) -> Cart:
    """At sign-in the guest's cart joins the account's cart (quantities add up), and the account's cart
    is the one the browser uses from then on."""
    with transaction.atomic():
        account_cart = Cart.objects.select_for_update().filter(customer=customer).first()
        if guest_cart is None or (account_cart is not None and guest_cart.pk == account_cart.pk):
            return account_cart or cart_create(customer=customer)
        if account_cart is None:
            claimed = Cart.objects.filter(pk=guest_cart.pk, customer__isnull=True).update(customer=customer)
            if claimed:
                guest_cart.refresh_from_db()
                return guest_cart
            return cart_create(customer=customer)
        for line in CartLine.objects.filter(cart=guest_cart):
            updated = CartLine.objects.filter(cart=account_cart, variant_id=line.variant_id).update(
                quantity=F("quantity") + line.quantity
            )
            if not updated:
                CartLine.objects.create(
                    cart=account_cart, variant_id=line.variant_id, quantity=line.quantity, note=line.note
                )
        CartLine.objects.filter(cart=account_cart, quantity__gt=MAX_LINE_QUANTITY).update(
            quantity=MAX_LINE_QUANTITY
        )
        if guest_cart.customer_id is None:
            guest_cart.delete()
        return account_cart


@dataclass(frozen=True)
class CheckoutData:
    email: str
    phone: str
    name: str
    country: str
    region: str = ""
    city: str = ""
    postal_code: str = ""
    line1: str = ""
    line2: str = ""
    delivery_method: str = ""
    payment_method: str = ""
    coupon_code: str = ""
    comment: str = ""
    language: str = ""
    save_address: bool = True
    # The preferred delivery window (door delivery); ignored for pickups.
    preferred_date: date | None = None
    preferred_time_from: time | None = None
    preferred_time_to: time | None = None


def _preferred_window(
    cart: Cart, method: DeliveryMethod | None, data: CheckoutData
) -> PreferredDelivery | None:
    """The customer's preferred delivery window, checked (`domain.window_errors`): a working day from
    the option's expected date on, and a window that ends after it starts. Only door deliveries book a
    window; the fields of a pickup are ignored."""
    if method is None or method.kind not in domain.DOOR_DELIVERY_KINDS:
        return None
    if data.preferred_date is None and data.preferred_time_from is None and data.preferred_time_to is None:
        return None
    expected = selectors.expected_dates(selectors.cart_view(cart), [method]).get(method.pk)
    calendar = shop_calendar()
    earliest, latest = domain.window_bounds(today=timezone.localdate(), expected=expected, calendar=calendar)
    errors = domain.window_errors(
        day=data.preferred_date,
        time_from=data.preferred_time_from,
        time_to=data.preferred_time_to,
        earliest=earliest,
        latest=latest,
        calendar=calendar,
    )
    if errors:
        raise InvalidInput(details=errors)
    return PreferredDelivery(
        date=data.preferred_date, time_from=data.preferred_time_from, time_to=data.preferred_time_to
    )


def checkout_place(
    *, cart: Cart, data: CheckoutData, checkout_token: str, customer: Customer | None
) -> Order:
    """Place the cart as a web-shop order — all or nothing.

    The checkout token (one per checkout page) is the order's external reference: a second submit of the
    same page is refused as a duplicate (DuplicateExternalRef), never a second order. Express delivery
    places the order with express priority. Errors are the orders service's (InvalidInput naming the
    field, InsufficientStock, CouponInvalid); the cart then stays as it was.
    """
    lines = list(CartLine.objects.filter(cart=cart).select_related("variant").order_by("added_at", "id"))
    if not lines:
        raise InvalidInput(_("Your cart is empty."), details={"lines": _("Your cart is empty.")})
    if not data.email.strip():
        # The storefront needs an email: the confirmation and the tracking link go there.
        raise InvalidInput(details={"customer.email": _("This field is required.")})
    method = DeliveryMethod.objects.filter(code=data.delivery_method, is_active=True).first()
    preferred = _preferred_window(cart, method, data)
    priority = (
        Priority.EXPRESS if method is not None and method.kind == DeliveryKind.EXPRESS else Priority.NORMAL
    )
    with transaction.atomic():
        order = order_place(
            channel=Channel.WEB,
            external_ref=f"checkout-{checkout_token}"[:100],
            customer=CustomerData(name=data.name, phone=data.phone, email=data.email, language=data.language),
            shipping_address=AddressData(
                country=data.country,
                region=data.region,
                city=data.city,
                postal_code=data.postal_code,
                line1=data.line1,
                line2=data.line2,
            ),
            delivery_method_code=data.delivery_method,
            payment_method_code=data.payment_method,
            lines=[LineData(sku=line.variant.sku, quantity=line.quantity, note=line.note) for line in lines],
            priority=priority,
            preferred_delivery=preferred,
            comment=data.comment,
            coupon_code=data.coupon_code,
            actor=None,
        )
        if customer is not None:
            customer_order_link(customer_id=customer.pk, order_id=order.pk)
            if (
                data.save_address
                and method is not None
                and method.kind in {DeliveryKind.COURIER, DeliveryKind.EXPRESS}
            ):
                try:
                    with transaction.atomic():
                        address_save(
                            customer=customer,
                            data={
                                "name": data.name,
                                "phone": order.customer_phone,
                                "country": data.country,
                                "region": data.region,
                                "city": data.city,
                                "postal_code": data.postal_code,
                                "line1": data.line1,
                                "line2": data.line2,
                            },
                        )
                except (InvalidInput, IntegrityError):
                    pass  # the order is what matters; an address that cannot be saved is not an error
        CartLine.objects.filter(cart=cart).delete()
    return order
