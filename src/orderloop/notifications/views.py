"""Staff notification pages: the user's list with mark-as-read, and the unread badge for the top bar.

Thin: each view calls a selector or a service. htmx requests get partials (`list.html#notification-row`,
`_unread_count.html`); plain form posts are redirected back to the list.
"""

from __future__ import annotations

import base64

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from orderloop.core.errors import NotFound
from orderloop.core.htmx import HtmxHttpRequest

from . import selectors, services
from .models import OutboxEmail

PAGE_SIZE = 50


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.notifications_for(user=request.user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": selectors.unread_count(user=request.user),
        },
    )


@login_required
@require_POST
def notification_read(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = services.notification_mark_read(notification_id=notification_id, user=request.user)
    except NotFound:
        return HttpResponse(status=404)
    if request.htmx:
        response = render(request, "notifications/list.html#notification-row", {"notification": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HtmxHttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request.user)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("notifications:list")


@login_required
@require_GET
def unread_count(request: HttpRequest) -> HttpResponse:
    """The top bar's badge: polled by htmx, refreshed when a notification is marked read."""
    return render(
        request,
        "notifications/_unread_count.html",
        {"unread_count": selectors.unread_count(user=request.user)},
    )


# --- Outbox: mail kept instead of sent (no SMTP server configured) ---------------------------------


@login_required
@permission_required("notifications.view_outboxemail", raise_exception=True)
@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(OutboxEmail.objects.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/outbox_list.html", {"page": page})


@login_required
@permission_required("notifications.view_outboxemail", raise_exception=True)
@require_GET
def outbox_detail(request: HttpRequest, email_id: int) -> HttpResponse:
    email = OutboxEmail.objects.filter(pk=email_id).first()
    if email is None:
        raise Http404
    return render(request, "notifications/outbox_detail.html", {"email": email})


@login_required
@permission_required("notifications.view_outboxemail", raise_exception=True)
@require_GET
def outbox_attachment(request: HttpRequest, email_id: int, index: int) -> HttpResponse:
    email = OutboxEmail.objects.filter(pk=email_id).first()
    if email is None or not 0 <= index < len(email.attachments):
        raise Http404
    item = email.attachments[index]
    response = HttpResponse(base64.b64decode(item.get("content_b64", "")), content_type=item.get("mimetype"))
    response["Content-Disposition"] = f'inline; filename="{item.get("filename", "attachment")}"'
    return response
