"""The customer's return pages under /shop/ (mounted in storefront/urls.py): the return policy, the
return portal (order number + email or phone), the request form (lines, quantities, reasons, method,
photos), and the return's own page (status, label, instructions, timeline). As thin as the other
storefront views: parse, call one service or selector, render; errors next to the fields, in the
customer's language."""

from __future__ import annotations

import logging
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from orderloop.core import throttle
from orderloop.core.errors import DomainError
from orderloop.core.i18n import pick_translation
from orderloop.core.money import Money
from orderloop.storefront import selectors as shop_selectors
from orderloop.storefront.views import _page, guarded_lookup, throttled_lookups, too_many_attempts

from . import domain, selectors, services
from .errors import LinesNotReturnable
from .models import ReturnChannel, ReturnEventKind, ReturnMethod, ReturnReason, ReturnRequest
from .photos import PhotoUpload, max_bytes

logger = logging.getLogger(__name__)


def _terms_context(country: str) -> dict[str, Any]:
    terms = selectors.policy_terms_for(country)
    language = translation.get_language() or "en"
    return {
        "terms": terms,
        "conditions": [domain.CONDITIONS[c] for c in terms.conditions if c in domain.CONDITIONS],
        "method_labels": [ReturnMethod(m).label for m in terms.methods if m in ReturnMethod.values],
        "fee": Money.of(terms.fee, _currency()) if terms.fee else None,
        "policy_notes": terms.notes.get(language) or terms.notes.get("en", ""),
    }


def _currency() -> str:
    from django.conf import settings

    return str(settings.ORDERLOOP.get("DEFAULT_CURRENCY", "UAH"))


@require_GET
def return_policy(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    countries = selectors.policy_countries()
    country = (request.GET.get("country") or settings.ORDERLOOP.get("DEFAULT_COUNTRY", "UA"))[:2].upper()
    if country not in countries:
        countries = sorted({*countries, country})
    return _page(
        request,
        "returns/shop_policy.html",
        {"country": country, "countries": countries, **_terms_context(country)},
    )


@require_http_methods(["GET", "POST"])
def return_portal(request: HttpRequest) -> HttpResponse:
    error = ""
    number = (request.POST.get("number") or "").strip()[:40]
    contact = (request.POST.get("contact") or "").strip()[:254]
    status = 200
    if request.method == "POST":
        # Wrong guesses count per order number and per address: either one locked answers 429, the
        # right contact included, until the lockout is over.
        keys = (number.lstrip("#").upper(), f"ip:{throttle.client_ip(request)}")
        wait = throttle.blocked_for("return_portal", *keys)
        if wait:
            return too_many_attempts(
                request, wait, "returns/shop_portal.html", number=number, contact=contact
            )
        order = selectors.order_for_portal(number=number, contact=contact)
        if order is not None:
            return redirect("storefront:return_request", token=shop_selectors.tracking_token(order.number))
        throttle.record_failure("return_portal", *keys)
        error = _("We could not find an order with this number and email or phone. Check both and try again.")
        status = 422
    return _page(
        request,
        "returns/shop_portal.html",
        {"error": error, "number": number, "contact": contact},
        status=status,
    )


def _order(request: HttpRequest, token: str) -> Any:
    return guarded_lookup(request, lambda: shop_selectors.order_from_tracking_token(token))


def _line_rows(
    eligibility: selectors.Eligibility, posted: dict[str, Any], errors: dict[int, str]
) -> list[dict[str, Any]]:
    language = translation.get_language() or "en"
    rows = []
    for row in eligibility.lines:
        line = row.line
        rows.append(
            {
                "id": line.pk,
                "name": pick_translation(line.name, line.variant.product.name_translations, language),
                "sku": line.sku,
                "attributes": " / ".join(str(v) for v in (line.attributes or {}).values()),
                "ordered": line.quantity,
                "returnable": row.returnable if row.refusal is None else 0,
                "refusal": row.refusal,
                "choices": list(range(0, (row.returnable if row.refusal is None else 0) + 1)),
                "quantity": posted.get(f"qty_{line.pk}", 0),
                "reason": posted.get(f"reason_{line.pk}", ""),
                "error": errors.get(line.pk, ""),
            }
        )
    return rows


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


@require_http_methods(["GET", "POST"])
@throttled_lookups
def return_request(request: HttpRequest, token: str) -> HttpResponse:
    order = _order(request, token)
    eligibility = selectors.eligibility(order)
    # Cash on delivery (or a transfer) goes back by bank transfer: ask for the account now.
    by_transfer = selectors.refund_by_transfer(order)
    posted: dict[str, Any] = {"bank_holder": order.customer_name}
    line_errors: dict[int, str] = {}
    field_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        items = []
        for row in eligibility.lines:
            quantity = _int(request.POST.get(f"qty_{row.line.pk}"))
            reason = (request.POST.get(f"reason_{row.line.pk}") or "").strip()
            posted[f"qty_{row.line.pk}"] = quantity
            posted[f"reason_{row.line.pk}"] = reason
            if quantity > 0:
                items.append(services.LineInput(order_line_id=row.line.pk, quantity=quantity, reason=reason))
        method = (request.POST.get("method") or "").strip()
        posted["method"] = method
        posted["note"] = (request.POST.get("note") or "")[:2000]
        posted["bank_iban"] = (request.POST.get("bank_iban") or "")[:64]
        posted["bank_holder"] = (request.POST.get("bank_holder") or "")[:200]
        uploads = [
            PhotoUpload(name=f.name or "photo", content=f.read(max_bytes() + 1))
            for f in request.FILES.getlist("photos")
        ]
        try:
            rma = services.return_open(
                order_id=order.pk,
                lines=items,
                method=method,
                channel=ReturnChannel.TRACKING_PAGE
                if request.POST.get("via") == "tracking"
                else ReturnChannel.PORTAL,
                actor=None,
                note=posted["note"],
                photos=uploads,
                bank_iban=posted["bank_iban"] if by_transfer else "",
                bank_holder=posted["bank_holder"] if by_transfer else "",
                require_bank_details=by_transfer,
            )
        except LinesNotReturnable as exc:
            status = 422
            for key, message in exc.details.items():
                parts = key.split(".")
                if (
                    len(parts) >= 2
                    and parts[0] == "lines"
                    and parts[1].isdigit()
                    and int(parts[1]) < len(items)
                ):
                    line_errors[items[int(parts[1])].order_line_id] = message
                else:
                    field_errors["lines"] = message
        except DomainError as exc:
            status = exc.http_status
            field_errors.update({k: str(v) for k, v in exc.details.items() if isinstance(v, str)})
            field_errors.setdefault("form", exc.message)
        else:
            try:
                services.return_label_create(rma_id=rma.pk)
            except Exception:  # the task makes it later; the customer still sees the return
                logger.exception("return label for %s could not be made now", rma.number)
            return redirect("storefront:return_detail", token=selectors.return_token(rma.number))
    return _page(
        request,
        "returns/shop_request.html",
        {
            "order": order,
            "token": token,
            "eligibility": eligibility,
            "rows": _line_rows(eligibility, posted, line_errors),
            "reasons": [(r.value, r.label) for r in ReturnReason if r in domain.CUSTOMER_REASONS],
            "methods": [
                (m, ReturnMethod(m).label) for m in eligibility.terms.methods if m in ReturnMethod.values
            ],
            "posted": posted,
            "errors": field_errors,
            "returns": selectors.returns_of_order(order),
            "by_transfer": by_transfer,
            "iban_example": format_html('<bdi dir="ltr">{}</bdi>', domain.iban_example(order.ship_country)),
            "via": request.GET.get("via") or request.POST.get("via") or "",
            **_terms_context(order.ship_country),
        },
        status=status,
    )


def _rma(request: HttpRequest, token: str) -> ReturnRequest:
    return guarded_lookup(request, lambda: selectors.return_from_token(token))  # type: ignore[no-any-return]


CUSTOMER_STEPS = ("requested", "approved", "in_transit", "received", "inspected")


@require_GET
@throttled_lookups
def return_detail(request: HttpRequest, token: str) -> HttpResponse:
    rma = _rma(request, token)
    language = translation.get_language() or "en"
    lines = [
        {
            "name": pick_translation(line.order_line.name, line.variant.product.name_translations, language),
            "sku": line.sku,
            "quantity": line.quantity,
            "reason": line.get_reason_display(),
        }
        for line in rma.lines.select_related("order_line", "variant__product")
    ]
    timeline = [
        {
            "time": event.created_at,
            "label": event.get_to_status_display() if event.to_status else event.get_kind_display(),
        }
        for event in rma.events.filter(
            kind__in=[ReturnEventKind.OPENED, ReturnEventKind.STATUS_CHANGE]
        ).order_by("id")
    ]
    return _page(
        request,
        "returns/shop_return.html",
        {
            "rma": rma,
            "token": token,
            "lines": lines,
            "timeline": timeline,
            "track_url": reverse(
                "storefront:order_track", args=[shop_selectors.tracking_token(rma.order.number)]
            ),
            "has_label": bool(rma.label_file),
            "refund": rma.money(rma.refund_amount) if rma.refund_amount else None,
            "iban_masked": format_html('<bdi dir="ltr">{}</bdi>', domain.masked_iban(rma.bank_iban)),
        },
    )


@require_GET
@throttled_lookups
def return_label(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    """The label through the return's signed link (from the private documents storage)."""
    rma = _rma(request, token)
    if not rma.label_file:
        raise Http404
    response = FileResponse(
        rma.label_file.open("rb"), content_type="application/pdf", filename=f"return-{rma.number}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def order_return_entry(order: Any) -> dict[str, Any]:
    """For the follow-the-order page: whether items can be returned now, and the order's returns."""
    eligibility = selectors.eligibility(order)
    language = translation.get_language() or "en"
    return {
        "can_return": eligibility.can_return,
        # What came back so far, line by line (the order may be partially returned).
        "returned_items": selectors.returned_items(order, language=language),
        "return_last_day": eligibility.last_day,
        "returns": [
            {
                "rma": rma,
                "token": selectors.return_token(rma.number),
                "refund": rma.money(rma.refund_amount) if rma.refund_amount else None,
            }
            for rma in selectors.returns_of_order(order)
        ],
    }
