"""Back-office coupon page: the list with uses, and a form to create one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orderloop.core import history
from orderloop.core.errors import DomainError

from . import services
from .forms import CouponForm
from .models import Coupon


@login_required
@permission_required("promotions.view_coupon", raise_exception=True)
@require_http_methods(["GET", "POST"])
def coupon_list(request: HttpRequest) -> HttpResponse:
    form = CouponForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("promotions.add_coupon"):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                coupon = services.coupon_create(**form.cleaned_data)
                messages.success(request, _("Coupon %(code)s created.") % {"code": coupon.code})
                return redirect("promotions:coupon_list")
            except DomainError as exc:
                for field, message in exc.details.items():
                    form.add_error(field if field in form.fields else None, str(message))
    return render(
        request,
        "promotions/coupon_list.html",
        {
            "form": form,
            "coupons": Coupon.objects.order_by("-id")[:200],
            "history": history.entries(Coupon.history.all(), subject=lambda r: r.code),
            "history_title": _("Change history of the coupons"),
        },
        status=422 if form.errors else 200,
    )
