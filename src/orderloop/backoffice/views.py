from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.catalog.models import Product, Variant
from orderloop.core.models import ApiToken
from orderloop.core.services import api_token_create
from orderloop.core.services import api_token_revoke as revoke_token
from orderloop.inventory.models import Warehouse
from orderloop.inventory.selectors import stock_levels


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
    if not _manages_all_tokens(user):
        tokens = tokens.filter(user=user)
    return render(request, "backoffice/api_tokens.html", {"tokens": tokens, "new_token": new_token})


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


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools ask for /favicon.ico without reading the page's <link rel="icon">."""
    return redirect(static("favicon.ico"))
