from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from orderloop.catalog.models import Product, Variant
from orderloop.core import history
from orderloop.core.errors import DomainError
from orderloop.core.models import ApiToken
from orderloop.core.roles import ROLE_LABELS
from orderloop.core.services import api_token_create
from orderloop.core.services import api_token_revoke as revoke_token
from orderloop.inventory.models import Warehouse
from orderloop.inventory.selectors import stock_levels
from orderloop.orders import selectors as order_selectors
from orderloop.orders import services as order_services
from orderloop.orders.models import DeliveryMethod, PaymentMethod
from orderloop.shipping import selectors as shipping_selectors
from orderloop.shipping import services as shipping_services

from .forms import TRANSLATED, NamesForm


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "product_count": Product.objects.filter(is_active=True).count(),
        "variant_count": Variant.objects.filter(is_active=True).count(),
        "warehouse_count": Warehouse.objects.filter(is_active=True).count(),
        "low_stock_count": stock_levels(low_only=True).count(),
    }
    return render(request, "backoffice/dashboard.html", context)


def _manages_all_tokens(user: User) -> bool:
    return user.has_perm("core.manage_api_tokens")


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    new_token: str | None = None
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()
        if not name:
            messages.error(request, _("Give the token a name, e.g. the integration that will use it."))
        else:
            new_token = api_token_create(user=user, name=name).plaintext
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    records = ApiToken.history.all()
    if not _manages_all_tokens(user):
        tokens = tokens.filter(user=user)
        records = records.filter(user_id=user.pk)
    return render(
        request,
        "backoffice/api_tokens.html",
        {
            "tokens": tokens,
            "new_token": new_token,
            "history": history.entries(records, subject=lambda r: f"{r.prefix}… {r.name}".strip()),
            "history_title": _("Change history of the API tokens"),
        },
    )


HISTORY_SECTIONS = [
    # (key, permission to see it, title)
    ("delivery", "orders.view_deliverymethod", gettext_lazy("Delivery methods")),
    ("payment", "orders.view_paymentmethod", gettext_lazy("Payment methods")),
    ("roles", "auth.view_group", gettext_lazy("Roles and their permissions")),
    ("staff", "auth.view_user", gettext_lazy("Staff roles")),
]


def _section_records(key: str) -> Any:
    if key == "delivery":
        return DeliveryMethod.history.all(), lambda r: r.code
    if key == "payment":
        return PaymentMethod.history.all(), lambda r: r.code
    if key == "roles":
        return Group.history.all(), lambda r: ROLE_LABELS.get(r.name, r.name)  # type: ignore[attr-defined]
    return User.history.all(), lambda r: r.username  # type: ignore[attr-defined]


@login_required
def change_history(request: HttpRequest) -> HttpResponse:
    """The audit trail of the master data without a page of its own here: delivery and payment methods,
    roles (a role's permissions) and who holds which role. Each section for those allowed to read it."""
    sections = []
    for key, perm, title in HISTORY_SECTIONS:
        if request.user.has_perm(perm):
            records, subject = _section_records(key)
            sections.append(
                {"key": key, "title": title, "history": history.entries(records, subject=subject)}
            )
    if not sections:
        raise PermissionDenied
    return render(request, "backoffice/change_history.html", {"sections": sections})


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None or (token.user_id != user.pk and not _manages_all_tokens(user)):
        messages.error(request, _("You cannot revoke this token."))
    else:
        revoke_token(token_id=token.pk, actor=user)
        messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("backoffice:api_tokens")


# --- Names of delivery and payment methods, carriers and services, per language -----------------------

# What each kind of row needs to be changed.
NAME_KINDS = {
    "delivery": "orders.change_deliverymethod",
    "payment": "orders.change_paymentmethod",
    "carrier": "shipping.change_carrier",
    "service": "shipping.change_carrierservice",
}


def _named(kind: str, key: str) -> Any:
    """The delivery or payment method, carrier or service a names page edits (404 when unknown)."""
    found: Any = None
    if kind == "delivery":
        found = next((m for m in order_selectors.delivery_methods(active_only=False) if m.code == key), None)
    elif kind == "payment":
        found = order_selectors.payment_methods(active_only=False).filter(code=key).first()
    elif kind == "carrier":
        found = shipping_selectors.carriers(active_only=False).filter(code=key).first()
    elif kind == "service" and "." in key:
        carrier_code, code = key.split(".", 1)
        carrier = shipping_selectors.carriers(active_only=False).filter(code=carrier_code).first()
        found = next((s for s in carrier.services.all() if s.code == code), None) if carrier else None
    if found is None:
        raise Http404
    return found


@login_required
def names(request: HttpRequest) -> HttpResponse:
    """Every delivery and payment method, carrier and carrier service with its names per language."""
    allowed = {kind for kind, perm in NAME_KINDS.items() if request.user.has_perm(perm)}
    if not allowed:
        raise PermissionDenied
    carriers = (
        list(shipping_selectors.carriers(active_only=False)) if allowed & {"carrier", "service"} else []
    )
    context = {
        "name_languages": TRANSLATED,
        "allowed": allowed,
        "delivery_methods": order_selectors.delivery_methods(active_only=False)
        if "delivery" in allowed
        else [],
        "payment_methods": list(order_selectors.payment_methods(active_only=False))
        if "payment" in allowed
        else [],
        "carriers": carriers,
    }
    return render(request, "backoffice/names.html", context)


@login_required
def name_edit(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Edit one row's English name and its names in Ukrainian, Russian, Swedish and Arabic."""
    if kind not in NAME_KINDS:
        raise Http404
    if not request.user.has_perm(NAME_KINDS[kind]):
        raise PermissionDenied
    named = _named(kind, key)
    form = NamesForm(request.POST if request.method == "POST" else None, initial=NamesForm.initial_for(named))
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if kind == "delivery":
                order_services.delivery_method_rename(code=key, actor=request.user, **data)
            elif kind == "payment":
                order_services.payment_method_rename(code=key, actor=request.user, **data)
            elif kind == "carrier":
                shipping_services.carrier_rename(code=key, actor=request.user, **data)
            else:
                carrier_code, code = key.split(".", 1)
                shipping_services.carrier_service_rename(
                    carrier_code=carrier_code, code=code, actor=request.user, **data
                )
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Names of “%(name)s” saved.") % {"name": data["name"]})
            return redirect("backoffice:names")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "backoffice/name_form.html",
        {"form": form, "named": named, "kind": kind, "key": key},
        status=status,
    )


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a login for a locked username (AXES_LOCKOUT_CALLABLE): the login page
    again with the reason, 429 and Retry-After. The right password is refused too until the cool-off
    has passed."""
    minutes = max(math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60), 1)
    form = AuthenticationForm(
        request, data=None, initial={"username": (credentials or {}).get("username", "")}
    )
    message = ngettext(
        "Too many failed logins for this username. It is locked for %(minutes)d minute; try again later "
        "or ask an administrator to unlock it.",
        "Too many failed logins for this username. It is locked for %(minutes)d minutes; try again later "
        "or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}
    response = render(
        request,
        "backoffice/login.html",
        {"form": form, "locked_out": message, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools ask for /favicon.ico without reading the page's <link rel="icon">."""
    return redirect(static("favicon.ico"))
