"""Back-office return pages: the list (with receive-by-scan), a return's page with its actions (approve,
reject, in transit, receive, inspect, refund, confirm a bank refund, exchange, close, note), opening a
return for a customer, policies and the analytics feed. As thin as api.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orderloop.core import history
from orderloop.core.errors import DomainError, NotFound
from orderloop.inventory.models import Warehouse
from orderloop.orders.models import Order

from . import domain, selectors, services
from .documents import render_credit_note_pdf
from .models import (
    ConditionGrade,
    CreditNote,
    Disposition,
    ReturnChannel,
    ReturnMethod,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)

PAGE_SIZE = 50


def _rma(number: str) -> ReturnRequest:
    try:
        return selectors.return_by_number(number)
    except NotFound as exc:
        raise Http404 from exc


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _show_error(request: HttpRequest, exc: DomainError) -> None:
    details = "; ".join(f"{v}" for v in exc.details.values() if isinstance(v, str))
    messages.error(request, f"{exc.message} {details}".strip())


@login_required
@permission_required("returns.view_returnrequest", raise_exception=True)
def return_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.return_list(
        statuses=[status] if status in ReturnStatus.values else None,
        overdue=True if overdue else None,
        order_number=request.GET.get("order", "")[:20],
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "returns/list.html",
        {
            "page": page,
            "statuses": ReturnStatus.choices,
            "status": status,
            "overdue": overdue,
            "refund_owed": [str(status) for status in REFUND_OWED],
            "warehouses": Warehouse.objects.filter(is_active=True).order_by("priority", "code"),
        },
    )


@login_required
@permission_required("returns.receive_return", raise_exception=True)
@require_POST
def receive_scan(request: HttpRequest) -> HttpResponse:
    code = (request.POST.get("code") or "").strip()
    try:
        rma = services.return_receive_scan(
            code=code, actor=request.user, warehouse_code=request.POST.get("warehouse", "")
        )
    except DomainError as exc:
        messages.error(request, _("%(code)s: %(message)s") % {"code": code or "—", "message": exc.message})
        return redirect("returns:list")
    messages.success(request, _("Return %(number)s received.") % {"number": rma.number})
    return redirect("returns:detail", number=rma.number)


def _inspection_rows(rma: ReturnRequest) -> list[dict[str, Any]]:
    return [
        {
            "line": line,
            "inspections": list(line.inspections.select_related("warehouse")),
        }
        for line in rma.lines.select_related("order_line", "variant__product").prefetch_related("inspections")
    ]


def _detail_context(rma: ReturnRequest) -> dict[str, Any]:
    quote = selectors.refund_quote(rma) if rma.status == ReturnStatus.INSPECTED else None
    by_transfer = selectors.refund_by_transfer(rma.order)
    return {
        "rma": rma,
        "order": rma.order,
        "rows": _inspection_rows(rma),
        "events": rma.events.select_related("actor").order_by("id"),
        "photos": rma.photos.all(),
        "refunds": selectors.refund_rows(rma),
        "quote": quote.quote if quote else None,
        "quote_money": {
            name: rma.money(getattr(quote.quote, name)) for name in ("goods", "delivery", "fee", "cap", "due")
        }
        if quote
        else None,
        "credit_note": CreditNote.objects.filter(request=rma).first(),
        "allowed": domain.allowed_next(rma.status),
        "grades": ConditionGrade.choices,
        "dispositions": Disposition.choices,
        "by_transfer": by_transfer,
        "bank_iban": domain.format_iban(rma.bank_iban),
        # Isolated for right-to-left pages: an account number and a Latin name keep their own order.
        "bank_iban_isolated": format_html('<bdi dir="ltr">{}</bdi>', domain.format_iban(rma.bank_iban)),
        "bank_holder_isolated": format_html("<bdi>{}</bdi>", rma.bank_holder),
        # The account can be corrected until the refund has reached the customer.
        "bank_details_editable": by_transfer and rma.status in domain.OPEN,
        # A refund is still owed (the SLA's due date matters) until it is decided and paid.
        "refund_owed": rma.status in REFUND_OWED,
        "pending_bank_refund": any(r.status == "pending" for r in selectors.refund_rows(rma)),
        # The receiving warehouse first (preselected), each warehouse once.
        "warehouses": _receiving_warehouses(rma),
        "terms": domain.PolicyTerms.from_json(rma.policy) if rma.policy else None,
    }


REFUND_OWED = frozenset({ReturnStatus.RECEIVED, ReturnStatus.INSPECTED, ReturnStatus.REFUND_PENDING})


def _receiving_warehouses(rma: ReturnRequest) -> list[Warehouse]:
    active = list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))
    current = rma.warehouse
    if current is None:
        return active
    return [current, *(w for w in active if w.pk != current.pk)]


@login_required
@permission_required("returns.view_returnrequest", raise_exception=True)
def return_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "returns/detail.html", _detail_context(_rma(number)))


def _inspect(request: HttpRequest, rma: ReturnRequest) -> Any:
    items = []
    for line in rma.lines.all():
        grade = request.POST.get(f"grade_{line.pk}", "")
        disposition = request.POST.get(f"disposition_{line.pk}", "")
        received = max(min(_int(request.POST.get(f"received_{line.pk}"), line.quantity), line.quantity), 0)
        refund = request.POST.get(f"refund_{line.pk}") == "1"
        note = request.POST.get(f"note_{line.pk}", "")
        if received:
            items.append(
                services.InspectionInput(
                    line_id=line.pk,
                    quantity=received,
                    grade=grade,
                    disposition=disposition,
                    refund=refund,
                    note=note,
                )
            )
        if line.quantity - received:
            items.append(
                services.InspectionInput(line_id=line.pk, quantity=line.quantity - received, grade="missing")
            )
    return services.return_inspect(rma_id=rma.pk, items=items, actor=request.user)


def _exchange(request: HttpRequest, rma: ReturnRequest) -> Any:
    items = []
    for n in (1, 2, 3):
        sku = (request.POST.get(f"sku_{n}") or "").strip()
        if sku:
            items.append(
                services.ExchangeItem(sku=sku, quantity=max(_int(request.POST.get(f"quantity_{n}"), 1), 1))
            )
    return services.return_exchange(rma_id=rma.pk, items=items, actor=request.user)


@dataclass(frozen=True)
class _Action:
    permission: str
    run: Callable[[HttpRequest, ReturnRequest], Any]
    done: Any


def _approve(request: HttpRequest, rma: ReturnRequest) -> Any:
    services.return_approve(rma_id=rma.pk, actor=request.user)
    return services.return_label_create(rma_id=rma.pk)


ACTIONS: dict[str, _Action] = {
    "approve": _Action(
        "returns.approve_return", _approve, gettext_lazy("Return approved; the label is ready.")
    ),
    "reject": _Action(
        "returns.approve_return",
        lambda request, rma: services.return_reject(
            rma_id=rma.pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        gettext_lazy("Return rejected."),
    ),
    "close": _Action(
        "returns.approve_return",
        lambda request, rma: services.return_close(
            rma_id=rma.pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        gettext_lazy("Return closed."),
    ),
    "label": _Action(
        "returns.approve_return",
        lambda request, rma: services.return_label_create(rma_id=rma.pk),
        gettext_lazy("Label created."),
    ),
    "in_transit": _Action(
        "returns.receive_return",
        lambda request, rma: services.return_mark_in_transit(
            rma_id=rma.pk, actor=request.user, tracking_ref=request.POST.get("tracking_ref", "")
        ),
        gettext_lazy("Marked in transit."),
    ),
    "receive": _Action(
        "returns.receive_return",
        lambda request, rma: services.return_receive(
            rma_id=rma.pk, actor=request.user, warehouse_code=request.POST.get("warehouse", "")
        ),
        gettext_lazy("Return received."),
    ),
    "inspect": _Action(
        "returns.inspect_return", _inspect, gettext_lazy("Inspection recorded; stock updated.")
    ),
    "refund": _Action(
        "returns.refund_return",
        lambda request, rma: services.return_refund(
            rma_id=rma.pk,
            actor=request.user,
            deduction=request.POST.get("deduction", "0"),
            deduction_reason=request.POST.get("deduction_reason", ""),
            bank_iban=request.POST.get("bank_iban", ""),
            bank_holder=request.POST.get("bank_holder", ""),
        ),
        # Not "refunded" yet: that waits until the money moved (Stripe, or the transfer confirmed).
        gettext_lazy("Refund requested; the return is refunded once the money has reached the customer."),
    ),
    "bank_details": _Action(
        "returns.refund_return",
        lambda request, rma: services.return_set_bank_details(
            rma_id=rma.pk,
            actor=request.user,
            bank_iban=request.POST.get("bank_iban", ""),
            bank_holder=request.POST.get("bank_holder", ""),
        ),
        gettext_lazy("Bank details saved."),
    ),
    "bank_confirm": _Action(
        "returns.refund_return",
        lambda request, rma: services.return_bank_refund_confirm(
            rma_id=rma.pk, actor=request.user, reference=request.POST.get("reference", "")
        ),
        gettext_lazy("Bank refund recorded as paid."),
    ),
    "exchange": _Action("returns.refund_return", _exchange, gettext_lazy("Replacement order placed.")),
    "note": _Action(
        "returns.view_returnrequest",
        lambda request, rma: services.return_add_note(
            rma_id=rma.pk, actor=request.user, text=request.POST.get("text", "")
        ),
        gettext_lazy("Note added."),
    ),
}


@login_required
@require_POST
def return_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    rma = _rma(number)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    try:
        spec.run(request, rma)
    except DomainError as exc:
        _show_error(request, exc)
        return render(request, "returns/detail.html", _detail_context(_rma(number)), status=exc.http_status)
    messages.success(request, str(spec.done))
    return redirect("returns:detail", number=rma.number)


@login_required
@permission_required("returns.add_returnrequest", raise_exception=True)
def return_new(request: HttpRequest) -> HttpResponse:
    """Staff open a return for a customer (phone, email, chat)."""
    number = (request.GET.get("order") or request.POST.get("order") or "").strip()[:20]
    order = Order.objects.filter(number=number).first() if number else None
    eligibility = selectors.eligibility(order) if order else None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST" and order is not None and eligibility is not None:
        items = []
        for row in eligibility.lines:
            quantity = _int(request.POST.get(f"qty_{row.line.pk}"))
            if quantity > 0:
                items.append(
                    services.LineInput(
                        order_line_id=row.line.pk,
                        quantity=quantity,
                        reason=request.POST.get(f"reason_{row.line.pk}", ""),
                    )
                )
        try:
            rma = services.return_open(
                order_id=order.pk,
                lines=items,
                method=request.POST.get("method", ""),
                channel=ReturnChannel.STAFF,
                actor=request.user,
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            status = exc.http_status
            errors = {k: str(v) for k, v in exc.details.items()}
            errors.setdefault("form", exc.message)
        else:
            if rma.status == ReturnStatus.APPROVED:
                services.return_label_create(rma_id=rma.pk)
            messages.success(request, _("Return %(number)s opened.") % {"number": rma.number})
            return redirect("returns:detail", number=rma.number)
    return render(
        request,
        "returns/new.html",
        {
            "number": number,
            "order": order,
            "eligibility": eligibility,
            "reasons": [(r.value, r.label) for r in ReturnReason if r in domain.CUSTOMER_REASONS],
            "methods": [(m.value, m.label) for m in ReturnMethod if m in domain.CUSTOMER_METHODS],
            "errors": errors,
        },
        status=status,
    )


@login_required
@permission_required("returns.view_returnrequest", raise_exception=True)
def label_pdf(request: HttpRequest, number: str) -> FileResponse:
    rma = _rma(number)
    if not rma.label_file:
        raise Http404
    return FileResponse(
        rma.label_file.open("rb"), content_type="application/pdf", filename=f"return-{rma.number}.pdf"
    )


@login_required
@permission_required("returns.view_creditnote", raise_exception=True)
def credit_note_pdf(request: HttpRequest, number: str) -> HttpResponse:
    note = CreditNote.objects.filter(request=_rma(number)).first()
    if note is None:
        raise Http404
    response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="credit-note-{note.number}.pdf"'
    return response


@login_required
@permission_required("returns.view_returnrequest", raise_exception=True)
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    row = ReturnPhoto.objects.filter(pk=photo_id).first()
    if row is None or not row.image:
        raise Http404
    return FileResponse(row.image.open("rb"), content_type=row.content_type)


@login_required
@permission_required("returns.view_returnpolicy", raise_exception=True)
def policies(request: HttpRequest) -> HttpResponse:
    from orderloop.catalog.models import Category

    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("returns.change_returnpolicy"):
            raise PermissionDenied
        try:
            services.policy_save(
                data=services.PolicyInput(
                    country=request.POST.get("country", ""),
                    window_days=_int(request.POST.get("window_days")),
                    conditions=request.POST.getlist("conditions"),
                    non_returnable_categories=request.POST.getlist("non_returnable_categories"),
                    return_shipping_paid_by=request.POST.get("return_shipping_paid_by", "shop"),
                    return_shipping_fee=request.POST.get("return_shipping_fee", "0") or "0",
                    refund_delivery=request.POST.get("refund_delivery", "full_return"),
                    methods=request.POST.getlist("methods"),
                    refund_due_days=_int(request.POST.get("refund_due_days"), 14),
                    auto_approve=request.POST.get("auto_approve") == "1",
                ),
                actor=request.user,
            )
        except DomainError as exc:
            status = exc.http_status
            errors = {k: str(v) for k, v in exc.details.items()}
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Return policy saved."))
            return redirect("returns:policies")
    rows = [
        {
            "row": row,
            "terms": selectors.policy_terms_for(row.country),
            "legal": selectors.legal_minimum_for(row.country),
        }
        for row in selectors.policies()
    ]
    return render(
        request,
        "returns/policies.html",
        {
            "rows": rows,
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
            "minimums": sorted(selectors.legal_minimums().items()),
            "conditions": list(domain.CONDITIONS.items()),
            "methods": [(m.value, m.label) for m in ReturnMethod if m in domain.CUSTOMER_METHODS],
            "categories": Category.objects.order_by("name"),
            "history": history.entries(
                ReturnPolicy.history.all(), subject=lambda r: r.country or _("every other country")
            ),
            "history_title": _("Change history of the return policies"),
        },
        status=status,
    )


@login_required
@permission_required("returns.view_returnrequest", raise_exception=True)
def analytics(request: HttpRequest) -> HttpResponse:
    group_by = request.GET.get("group_by", "product")
    if group_by not in selectors.GROUPS:
        group_by = "product"
    return render(
        request,
        "returns/analytics.html",
        {
            "group_by": group_by,
            "group_label": {"product": _("Product"), "variant": _("Variant"), "category": _("Category")}[
                group_by
            ],
            "rows": selectors.return_rates(group_by=group_by),
            "reasons": ReturnReason.choices,
        },
    )
