from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from orderloop.catalog.models import Product, Variant
from orderloop.core import history
from orderloop.core.models import ApiToken
from orderloop.core.roles import ROLE_LABELS
from orderloop.core.services import api_token_create
from orderloop.core.services import api_token_revoke as revoke_token
from orderloop.inventory.models import Warehouse
from orderloop.inventory.selectors import stock_levels
from orderloop.orders.models import DeliveryMethod, PaymentMethod


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
