"""Customer pages: catalogue, product, cart, checkout, following and paying an order, the account.

Thin: each view parses, calls a selector or a service, and renders. htmx requests get partials
(`_name.html`); without JavaScript every form still posts and redirects.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orderloop.core import throttle
from orderloop.core.errors import DomainError, InvalidInput
from orderloop.core.htmx import HtmxHttpRequest
from orderloop.core.redirects import safe_next
from orderloop.customers import auth
from orderloop.customers import selectors as customer_selectors
from orderloop.customers import services as customer_services
from orderloop.customers.models import Customer
from orderloop.inventory.errors import InsufficientStock
from orderloop.notifications.emails import order_summary
from orderloop.orders import domain as order_domain
from orderloop.orders import links
from orderloop.orders.errors import DuplicateExternalRef
from orderloop.orders.models import DeliveryKind, DeliveryMethod, Order, PaymentKind
from orderloop.orders.services import shop_calendar
from orderloop.payments import services as payment_services
from orderloop.payments.errors import NothingDue
from orderloop.payments.invoices import render_invoice_pdf
from orderloop.shipping import selectors as shipping_selectors

from . import domain, selectors, services
from .forms import CHECKOUT_FIELDS, AddressForm, CheckoutForm, RegisterForm, SignInForm, apply_errors
from .models import Cart

logger = logging.getLogger(__name__)

CART_COOKIE = "orderloop_cart"
CART_COOKIE_AGE = 90 * 24 * 3600  # a saved cart survives closing the browser
CART_COOKIE_SALT = "orderloop.storefront.cart"


# --- The cart behind a request ----------------------------------------------------------------------


def _guest_cart(request: HttpRequest) -> Cart | None:
    token = request.get_signed_cookie(
        CART_COOKIE, default=None, salt=CART_COOKIE_SALT, max_age=CART_COOKIE_AGE
    )
    if not token:
        return None
    return Cart.objects.filter(token=token, customer__isnull=True).first()


def current_cart(request: HttpRequest) -> Cart | None:
    customer = auth.current_customer(request)
    if customer is not None:
        return Cart.objects.filter(customer=customer).first()
    return _guest_cart(request)


def _cart_for_writing(request: HttpRequest) -> tuple[Cart, bool]:
    """The request's cart, created when there is none; and whether it is new (the cookie must be set)."""
    cart = current_cart(request)
    if cart is not None:
        return cart, False
    return services.cart_create(customer=auth.current_customer(request)), True


def _remember_cart(response: HttpResponse, cart: Cart) -> HttpResponse:
    response.set_signed_cookie(
        CART_COOKIE,
        cart.token,
        salt=CART_COOKIE_SALT,
        max_age=CART_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG and getattr(settings, "SESSION_COOKIE_SECURE", False),
    )
    return response


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a shop page with the header's account and cart count (from the page's own cart view when it
    has one, so the cart is read once)."""
    customer = auth.current_customer(request)
    view = context.get("view")
    if not isinstance(view, selectors.CartView):
        view = selectors.cart_view(current_cart(request))
    return render(
        request,
        template,
        {"customer": customer, "cart_count": view.count, **context},
        status=status,
    )


def throttle_message(seconds: int) -> str:
    minutes = max(math.ceil(seconds / 60), 1)
    return ngettext(
        "Too many attempts. Please wait %(minutes)d minute and try again.",
        "Too many attempts. Please wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


def too_many_attempts(
    request: HttpRequest, seconds: int, template: str = "storefront/too_many_attempts.html", **context: Any
) -> HttpResponse:
    """429 with Retry-After: the page the guess was made on (its form shows the message) or a short page."""
    context.setdefault("error", throttle_message(seconds))
    response = _page(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- Catalogue and product ---------------------------------------------------------------------------


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    category = request.GET.get("category", "")[:120]
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    cards, has_next = selectors.catalogue(query=query, category=category, page=page)
    return _page(
        request,
        "storefront/catalogue.html",
        {
            "cards": cards,
            "query": query,
            "category": category,
            "categories": selectors.categories(),
            "page_number": page,
            "has_next": has_next,
        },
    )


ATTRIBUTE_PREFIX = "attr-"


def _chosen_attributes(params: Any) -> dict[str, str]:
    """The pickers' values in a query or form: `attr-size=M&attr-colour=Red`."""
    return {
        key[len(ATTRIBUTE_PREFIX) :]: str(value)[:100]
        for key, value in params.items()
        if key.startswith(ATTRIBUTE_PREFIX)
    }


@require_GET
def product(request: HtmxHttpRequest, handle: str) -> HttpResponse:
    page = selectors.product_page(
        handle=handle, sku=request.GET.get("sku", ""), attributes=_chosen_attributes(request.GET)
    )
    if page is None:
        raise Http404
    context = {"page": page, "poll_seconds": settings.ORDERLOOP.get("STOREFRONT_POLL_SECONDS", 10)}
    if request.htmx and not request.htmx.history_restore_request:
        # A picker changed: the product part again (picture, pickers, price, availability).
        response = render(request, "storefront/product.html#product-main", context)
    else:
        response = _page(request, "storefront/product.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
def product_availability(request: HttpRequest, handle: str) -> HttpResponse:
    """The live availability of the chosen variant (polled by the product page)."""
    page = selectors.product_page(handle=handle, sku=request.GET.get("sku", ""))
    if page is None:
        raise Http404
    return render(
        request,
        "storefront/_availability.html",
        {
            "page": page,
            "choice": page.selected,
            "poll_seconds": settings.ORDERLOOP.get("STOREFRONT_POLL_SECONDS", 10),
        },
    )


# --- Cart --------------------------------------------------------------------------------------------


def _int(value: object, default: int = 0) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


@require_GET
def cart(request: HttpRequest) -> HttpResponse:
    view = selectors.cart_view(current_cart(request))
    left = selectors.gift_threshold_left(view.subtotal) if view.lines else None
    return _page(request, "storefront/cart.html", {"view": view, "gift_left": left})


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    cart_row, created = _cart_for_writing(request)
    next_url = safe_next(request, request.POST.get("next"), reverse("storefront:cart"))
    variant_id = _int(request.POST.get("variant"))
    chosen = _chosen_attributes(request.POST)
    if chosen and request.POST.get("product"):
        # The pickers' values decide (without JavaScript the hidden variant id may be stale).
        variant = selectors.variant_for_attributes(handle=request.POST["product"], attributes=chosen)
        if variant is None:
            messages.error(request, _("This combination is not available. Please choose another one."))
            query = urlencode({f"{ATTRIBUTE_PREFIX}{name}": value for name, value in chosen.items()})
            back: HttpResponse = redirect(f"{next_url.split('?')[0]}?{query}")
            return _remember_cart(back, cart_row) if created else back
        variant_id = variant.pk
    try:
        services.cart_add(
            cart=cart_row,
            variant_id=variant_id,
            quantity=_int(request.POST.get("quantity"), 1),
        )
        messages.success(request, _("Added to your cart."))
    except DomainError as exc:
        messages.error(request, " ".join(str(m) for m in exc.details.values()) or exc.message)
    response: HttpResponse = redirect(next_url)
    return _remember_cart(response, cart_row) if created or not request.COOKIES.get(CART_COOKIE) else response


@require_POST
def cart_update(request: HttpRequest, line_id: int) -> HttpResponse:
    cart_row = current_cart(request)
    if cart_row is None:
        return redirect("storefront:cart")
    try:
        services.cart_set_quantity(
            cart=cart_row, line_id=line_id, quantity=_int(request.POST.get("quantity"), -1)
        )
    except DomainError as exc:
        messages.error(request, " ".join(str(m) for m in exc.details.values()) or exc.message)
    return redirect("storefront:cart")


@require_POST
def cart_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    cart_row = current_cart(request)
    if cart_row is not None:
        with contextlib.suppress(DomainError):
            services.cart_remove(cart=cart_row, line_id=line_id)
    return redirect("storefront:cart")


# --- Checkout ----------------------------------------------------------------------------------------


def _initial_checkout(request: HttpRequest, customer: Customer | None) -> dict[str, Any]:
    """Autofill for a returning customer: the account and its default address."""
    initial: dict[str, Any] = {
        "country": settings.ORDERLOOP.get("DEFAULT_COUNTRY", "UA"),
        "checkout_token": secrets.token_urlsafe(18),
        "save_address": True,
    }
    if customer is None:
        return initial
    initial.update(email=customer.email, name=customer.name, phone=customer.phone)
    address = customer_selectors.default_address(customer=customer)
    if address is not None:
        initial.update(
            country=address.country,
            region=address.region,
            city=address.city,
            postal_code=address.postal_code,
            line1=address.line1,
            line2=address.line2,
            name=address.name or customer.name,
            phone=address.phone or customer.phone,
        )
    return initial


def _dynamic_context(form: CheckoutForm, view: selectors.CartView) -> dict[str, Any]:
    """The parts of the checkout that follow the country, delivery and coupon: address fields, delivery
    options with prices and dates, payment options, totals."""
    data = form.data if form.is_bound else form.initial
    country = str(data.get("country") or "").upper()
    delivery_code = str(data.get("delivery_method") or "")
    quote = selectors.checkout_quote(
        view=view,
        country=country,
        delivery_code=delivery_code,
        coupon_code=str(data.get("coupon_code") or ""),
        email=str(data.get("email") or ""),
        payment_code=str(data.get("payment_method") or ""),
    )
    if quote.selected_delivery is None and quote.delivery_options:
        quote.selected_delivery = quote.delivery_options[0]
    kind = quote.selected_delivery.method.kind if quote.selected_delivery else ""
    window = (
        domain.window_bounds(
            today=timezone.localdate(), expected=quote.selected_delivery.expected, calendar=shop_calendar()
        )
        if quote.selected_delivery is not None and kind in domain.DOOR_DELIVERY_KINDS
        else None
    )
    needed = set(order_domain.required_address_fields(country, kind))
    required = {name: name in needed for name in ("line1", "line2", "city", "postal_code", "region")}
    rule = order_domain.address_rule(country)
    points = (
        shipping_selectors.pickup_points_for_checkout(
            delivery_method_id=quote.selected_delivery.method.pk,
            country=country,
            city=str(data.get("city") or ""),
        )
        if quote.selected_delivery is not None and kind == DeliveryKind.PICKUP_POINT
        else []
    )
    return {
        "pickup_points": points,
        "selected_pickup_point": str(data.get("pickup_point") or ""),
        "form": form,
        "quote": quote,
        "view": view,
        "delivery_kind": kind,
        "required_fields": required,
        "needs_address": kind != DeliveryKind.STORE_PICKUP,
        "is_pickup_point": kind == DeliveryKind.PICKUP_POINT,
        "has_postal_code": "postal_code" in rule.required or bool(rule.postal_code),
        "postal_example": rule.postal_example,
        "selected_payment": quote.selected_payment.code if quote.selected_payment else "",
        "window": window,
        "prepayment_share": settings.ORDERLOOP.get("PREPAYMENT_SHARE", "0.30"),
    }


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    customer = auth.current_customer(request)
    cart_row = current_cart(request)
    view = selectors.cart_view(cart_row)
    if cart_row is None or not view.lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    if request.method == "GET":
        form = CheckoutForm(initial=_initial_checkout(request, customer))
        return _page(request, "storefront/checkout.html", _dynamic_context(form, view))

    address = throttle.client_ip(request)
    wait = throttle.blocked_for("checkout", address)
    if wait:
        return too_many_attempts(request, wait)
    form = CheckoutForm(request.POST)
    if request.POST.get("refresh_points"):
        # Without JavaScript: show the pickup points of the city typed, place nothing yet.
        return _page(request, "storefront/checkout.html", _dynamic_context(form, view))
    if form.is_valid():
        data = form.cleaned_data
        _take_pickup_point(form, data)
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = services.checkout_place(
                cart=cart_row,
                data=services.CheckoutData(
                    email=data["email"],
                    phone=data["phone"],
                    name=data["name"],
                    country=data["country"],
                    region=data["region"],
                    city=data["city"],
                    postal_code=data["postal_code"],
                    line1=data["line1"],
                    line2=data["line2"],
                    delivery_method=data["delivery_method"],
                    payment_method=data["payment_method"],
                    coupon_code=data["coupon_code"],
                    comment=data["comment"],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    save_address=bool(data.get("save_address")),
                    preferred_date=data.get("preferred_date"),
                    preferred_time_from=data.get("preferred_time_from"),
                    preferred_time_to=data.get("preferred_time_to"),
                ),
                checkout_token=data["checkout_token"],
                customer=customer,
            )
            return redirect(_after_checkout(order))
        except DuplicateExternalRef as exc:
            # The same checkout page submitted twice: show the order the first submit placed.
            existing = Order.objects.filter(number=exc.details.get("number")).first()
            if existing is not None:
                return redirect(links.tracking_url(existing))
            form.add_error(None, exc.message)
        except InsufficientStock as exc:
            short = ", ".join(line.get("sku", "") for line in exc.details.get("lines", []))
            form.add_error(
                None,
                _(
                    "Some items are no longer available in the quantity you chose (%(skus)s). Please check your cart."
                )
                % {"skus": short},
            )
        except InvalidInput as exc:
            apply_errors(form, exc.details, CHECKOUT_FIELDS)
            if not exc.details:
                form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error(None, exc.message)
    # A checkout that did not place an order counts against the address (card and coupon guessing).
    throttle.record_failure("checkout", address)
    return _page(request, "storefront/checkout.html", _dynamic_context(form, view), status=422)


def _take_pickup_point(form: CheckoutForm, data: dict[str, Any]) -> None:
    """A pickup-point option whose carrier has imported points: the customer chose one of them; its city
    and label become the order's address (city, line 1), where shipping finds the point again."""
    method = DeliveryMethod.objects.filter(code=data.get("delivery_method") or "", is_active=True).first()
    if method is None or method.kind != DeliveryKind.PICKUP_POINT:
        return
    country = str(data.get("country") or "")
    if not shipping_selectors.pickup_points_for_checkout(delivery_method_id=method.pk, country=country):
        return  # no points imported: the customer types the point (line 1), as before
    point = shipping_selectors.checkout_pickup_point(
        delivery_method_id=method.pk, country=country, point_id=data.get("pickup_point")
    )
    if point is None:
        form.add_error("pickup_point", _("Choose the pickup point where you collect the parcel."))
        return
    data["city"], data["line1"], data["postal_code"], data["line2"] = point.city, point.label, "", ""


def _after_checkout(order: Order) -> str:
    """Card payments go on to the payment page; everything else to the order's page."""
    if order.payment_method.kind == PaymentKind.CARD:
        return links.order_pay_url(order)
    return links.tracking_url(order) + "?placed=1"


@require_POST
def checkout_refresh(request: HttpRequest) -> HttpResponse:
    """htmx: re-render the parts that follow the country, the delivery option and the coupon."""
    address = throttle.client_ip(request)
    wait = throttle.blocked_for("checkout", address)
    if wait:
        response = HttpResponse(throttle_message(wait), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(wait)
        return response
    view = selectors.cart_view(current_cart(request))
    form = CheckoutForm(request.POST)
    context = _dynamic_context(form, view)
    coupon = context["quote"].coupon
    if coupon is not None and coupon.problem == "unknown":
        throttle.record_failure("checkout", address)  # guessing coupon codes
    return render(request, "storefront/_checkout_dynamic.html", context)


# --- Following and paying an order ------------------------------------------------------------------


class TooManyLookups(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def guarded_lookup(request: HttpRequest, found: Callable[[], Any]) -> Any:
    """A lookup by a customer's signed link: a wrong link counts against the address, and an address
    with too many wrong links gets 429 (TooManyLookups) for a while, the right links included."""
    address = throttle.client_ip(request)
    wait = throttle.blocked_for("order_tracking", address)
    if wait:
        raise TooManyLookups(wait)
    result = found()
    if result is None:
        throttle.record_failure("order_tracking", address)
        raise Http404
    return result


def throttled_lookups(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Turns TooManyLookups into the 429 page."""

    @functools.wraps(view_func)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view_func(request, *args, **kwargs)
        except TooManyLookups as exc:
            return too_many_attempts(request, exc.seconds)

    return wrapped


def _order_or_404(request: HttpRequest, token: str) -> Order:
    return guarded_lookup(request, lambda: links.order_from_tracking_token(token))  # type: ignore[no-any-return]


def _track_context(order: Order, token: str) -> dict[str, Any]:
    # Inside: returns' customer pages import this module (still to untangle, docs/architecture.md).
    from orderloop.returns.storefront_views import order_return_entry

    language = translation.get_language() or settings.LANGUAGE_CODE
    summary = order_summary(order, language)
    overview = summary["overview"]
    pending_card = order.payments.filter(provider="stripe", status__in=["pending", "authorized"]).exists()
    return {
        **summary,
        "token": token,
        "status": selectors.customer_status_of(order, paid=summary["paid"]),
        "timeline": selectors.customer_timeline(order),
        "overview": overview,
        "shipments": shipping_selectors.order_shipments_for_customer(order),
        "can_pay_by_card": order.payment_method.kind in {PaymentKind.CARD, PaymentKind.PREPAYMENT}
        and overview.due_now > 0
        and links.card_payments_enabled()
        and order.status not in {"cancelled", "completed", "returned", "refused"},
        "payment_processing": pending_card and overview.due_now > 0,
        **order_return_entry(order),
    }


@require_GET
@throttled_lookups
def order_track(request: HttpRequest, token: str) -> HttpResponse:
    order = _order_or_404(request, token)
    context = _track_context(order, token)
    context["placed"] = request.GET.get("placed") == "1"
    return _page(request, "storefront/order_track.html", context)


@require_GET
@throttled_lookups
def order_status(request: HttpRequest, token: str) -> HttpResponse:
    """htmx: the status block, polled while a payment is processing."""
    order = _order_or_404(request, token)
    return render(request, "storefront/_order_status.html", _track_context(order, token))


@require_GET
@throttled_lookups
def order_invoice(request: HttpRequest, token: str) -> HttpResponse:
    order = _order_or_404(request, token)
    invoice = order.invoices.order_by("-id").first()
    if invoice is None:
        raise Http404
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response


@require_GET
@throttled_lookups
def order_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The card payment page: a PaymentIntent for what is due now, confirmed in the browser with
    Stripe.js; the webhook then marks the order paid."""
    order = _order_or_404(request, token)
    track = links.tracking_url(order)
    if not links.card_payments_enabled() or order.payment_method.kind not in {
        PaymentKind.CARD,
        PaymentKind.PREPAYMENT,
    }:
        return HttpResponseRedirect(track)
    try:
        intent = payment_services.card_intent_create(order_id=order.pk, actor=None)
    except NothingDue:
        return HttpResponseRedirect(track)
    except DomainError as exc:
        logger.warning("card payment for order %s could not start: %s", order.number, exc.message)
        messages.error(
            request, _("Card payment is not available right now. Please try again in a few minutes.")
        )
        return HttpResponseRedirect(track)
    return _page(
        request,
        "storefront/order_pay.html",
        {
            "order": order,
            "amount": intent.payment.money,
            "client_secret": intent.client_secret,
            "publishable_key": settings.ORDERLOOP.get("STRIPE_PUBLISHABLE_KEY", ""),
            "stripe_js_url": settings.ORDERLOOP.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
            "return_url": track,
            "token": token,
        },
    )


# --- Account -----------------------------------------------------------------------------------------


def _sign_in_and_merge(request: HttpRequest, customer: Customer) -> HttpResponse:
    guest = _guest_cart(request)
    auth.sign_in(request, customer)
    cart_row = services.cart_merge_on_sign_in(guest_cart=guest, customer=customer)
    next_url = safe_next(
        request, request.POST.get("next") or request.GET.get("next"), reverse("storefront:account")
    )
    response = redirect(next_url)
    _remember_cart(response, cart_row)
    if customer.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, customer.language, max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Wrong passwords count per email and per address; either locked answers 429 (the right password
        # too) until the lockout is over.
        keys = (form.cleaned_data["email"], throttle.client_ip(request))
        wait = throttle.blocked_for("customer_sign_in", *keys)
        if wait:
            return too_many_attempts(
                request,
                wait,
                "storefront/sign_in.html",
                form=form,
                register_form=RegisterForm(),
                next=request.POST.get("next", ""),
                sign_in_error=throttle_message(wait),
            )
        customer = customer_services.customer_authenticate(
            email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if customer is not None:
            throttle.reset("customer_sign_in", form.cleaned_data["email"])
            return _sign_in_and_merge(request, customer)
        throttle.record_failure("customer_sign_in", *keys)
        form.add_error(None, _("The email or the password is not right."))
    return _page(
        request,
        "storefront/sign_in.html",
        {"form": form, "register_form": RegisterForm(), "next": request.GET.get("next", "")},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_services.customer_register(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            return _sign_in_and_merge(request, customer)
        except DomainError as exc:
            apply_errors(form, exc.details, {})
    return _page(
        request,
        "storefront/sign_in.html",
        {"form": SignInForm(), "register_form": form, "next": request.POST.get("next", "")},
        status=422 if form.errors else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    auth.sign_out(request)
    response = redirect("storefront:catalogue")
    response.delete_cookie(CART_COOKIE)
    return response


def _customer_required(view_func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        customer = auth.current_customer(request)
        if customer is None:
            return redirect(f"{reverse('storefront:sign_in')}?next={request.path}")
        return view_func(request, customer, *args, **kwargs)

    wrapped.__name__ = view_func.__name__
    return wrapped


@require_http_methods(["GET", "POST"])
@_customer_required
def account(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = AddressForm(
        request.POST or None, initial={"country": settings.ORDERLOOP.get("DEFAULT_COUNTRY", "UA")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer_services.address_save(customer=customer, data=form.cleaned_data)
            messages.success(request, _("Address saved."))
            return redirect("storefront:account")
        except DomainError as exc:
            apply_errors(form, exc.details, {})
    orders = list(customer_selectors.customer_orders(customer=customer)[:50])
    return _page(
        request,
        "storefront/account.html",
        {
            "address_form": form,
            "addresses": customer_selectors.customer_addresses(customer=customer),
            "orders": [(order, links.tracking_token(order.number)) for order in orders],
        },
        status=422 if form.errors else 200,
    )


@require_POST
@_customer_required
def address_delete(request: HttpRequest, customer: Customer, address_id: int) -> HttpResponse:
    with contextlib.suppress(DomainError):
        customer_services.address_delete(customer=customer, address_id=address_id)
    return redirect("storefront:account")
