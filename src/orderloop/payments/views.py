"""Back-office payment pages: the order's payments panel (an htmx partial the order card includes) with its
actions, invoice PDFs, the bank statement upload; and the public page behind a signed payment link.
As thin as the API: parse, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_POST

from orderloop.catalog.csv_io import CsvFormatError, decode_upload
from orderloop.core.errors import DomainError
from orderloop.core.htmx import HtmxHttpRequest
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.links import card_payments_enabled, order_pay_url

from . import selectors, services
from .errors import InvoiceNotFound
from .forms import AmountForm, RefundConfirmForm, RefundForm, StatementForm, TransferForm
from .invoices import render_invoice_pdf
from .models import BankStatementImport, Refund

PANEL = "payments/order_payments.html#order-payments"


def panel_context(order_id: int, **extra: Any) -> dict[str, Any]:
    """What the `order-payments` partial of `payments/order_payments.html` needs: `overview` (selectors.PaymentOverview) and the forms."""
    return {
        "overview": selectors.payment_overview(order_id=order_id),
        "transfer_form": TransferForm(prefix="transfer"),
        "cod_form": AmountForm(prefix="cod"),
        "refund_form": RefundForm(prefix="refund"),
        **extra,
    }


def _order_id(number: str) -> int:
    try:
        return selectors.order_for_payments(number=number).pk
    except OrderNotFound as exc:
        raise Http404 from exc


def _panel(request: HtmxHttpRequest, order_id: int, *, status: int = 200, **extra: Any) -> HttpResponse:
    template = PANEL if request.htmx else "payments/order_payments.html"
    return render(request, template, panel_context(order_id, **extra), status=status)


@login_required
@permission_required("payments.view_payment", raise_exception=True)
def order_payments(request: HtmxHttpRequest, number: str) -> HttpResponse:
    return _panel(request, _order_id(number))


def _act(
    request: HtmxHttpRequest, number: str, form: Any, action: Callable[[int, Any], object], form_name: str
) -> HttpResponse:
    order_id = _order_id(number)
    if not form.is_valid():
        return _panel(request, order_id, status=400, **{form_name: form})
    try:
        action(order_id, form.cleaned_data)
    except DomainError as exc:
        return _panel(request, order_id, status=exc.http_status, error=exc.message, **{form_name: form})
    if request.htmx:
        return _panel(request, order_id)
    return redirect("payments:order_payments", number=number)


@login_required
@permission_required("payments.record_transfer", raise_exception=True)
@require_POST
def transfer_record(request: HtmxHttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        TransferForm(request.POST, prefix="transfer"),
        lambda order_id, data: services.payment_record_transfer(
            order_id=order_id, amount=data["amount"], reference=data["reference"], actor=request.user
        ),
        "transfer_form",
    )


@login_required
@permission_required("payments.record_cod", raise_exception=True)
@require_POST
def cod_record(request: HtmxHttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        AmountForm(request.POST, prefix="cod"),
        lambda order_id, data: services.payment_record_cod_collected(
            order_id=order_id, amount=data["amount"], actor=request.user
        ),
        "cod_form",
    )


@login_required
@permission_required("payments.add_refund", raise_exception=True)
@require_POST
def refund_create(request: HtmxHttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        RefundForm(request.POST, prefix="refund"),
        lambda order_id, data: services.refund_create(
            order_id=order_id, amount=data["amount"], reason=data["reason"], actor=request.user
        ),
        "refund_form",
    )


@login_required
@permission_required("payments.issue_invoice", raise_exception=True)
@require_POST
def invoice_issue(request: HtmxHttpRequest, number: str) -> HttpResponse:
    order_id = _order_id(number)
    try:
        services.invoice_issue(order_id=order_id, actor=request.user)
    except DomainError as exc:
        return _panel(request, order_id, status=exc.http_status, error=exc.message)
    if request.htmx:
        return _panel(request, order_id)
    return redirect("payments:order_payments", number=number)


def _refund_action(request: HtmxHttpRequest, refund_id: int, action: Callable[[], object]) -> HttpResponse:
    refund = Refund.objects.select_related("order").filter(pk=refund_id).first()
    if refund is None:
        raise Http404
    try:
        action()
    except DomainError as exc:
        return _panel(request, refund.order_id, status=exc.http_status, error=exc.message)
    if request.htmx:
        return _panel(request, refund.order_id)
    return redirect("payments:order_payments", number=refund.order.number)


@login_required
@permission_required("payments.confirm_refund", raise_exception=True)
@require_POST
def refund_confirm(request: HtmxHttpRequest, refund_id: int) -> HttpResponse:
    form = RefundConfirmForm(request.POST)
    reference = form.cleaned_data["reference"] if form.is_valid() else ""
    return _refund_action(
        request,
        refund_id,
        lambda: services.refund_confirm(refund_id=refund_id, actor=request.user, reference=reference),
    )


@login_required
@permission_required("payments.confirm_refund", raise_exception=True)
@require_POST
def refund_cancel(request: HtmxHttpRequest, refund_id: int) -> HttpResponse:
    return _refund_action(
        request, refund_id, lambda: services.refund_cancel(refund_id=refund_id, actor=request.user)
    )


@login_required
@permission_required("payments.view_invoice", raise_exception=True)
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    try:
        invoice = selectors.invoice_by_number(number=number)
    except InvoiceNotFound as exc:
        raise Http404 from exc
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response


@login_required
@permission_required("payments.record_transfer", raise_exception=True)
def statement_upload(request: HttpRequest) -> HttpResponse:
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.bank_statement_import(
                file_name=upload.name, content=decode_upload(upload.read()), actor=request.user
            )
        except CsvFormatError as exc:
            form.add_error("file", str(exc))
        except DomainError as exc:
            form.add_error("file", exc.details.get("file") or exc.message)
        else:
            return redirect("payments:statement_detail", import_id=job.pk)
    context = {"form": form, "imports": selectors.statement_imports_recent()}
    return render(request, "payments/statement_upload.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("payments.record_transfer", raise_exception=True)
def statement_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    job = BankStatementImport.objects.filter(pk=import_id).first()
    if job is None:
        raise Http404
    return render(request, "payments/statement_detail.html", {"job": job})


def pay(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page behind a signed payment link: what is owed and how to pay it by transfer.
    (Paying by card here is the storefront's part: it calls services.card_intent_create.)"""
    payment_request = selectors.payment_request_from_token(token)
    if payment_request is None:
        raise Http404
    order = payment_request.order
    with translation.override(order.customer_language or None):
        return render(
            request,
            "payments/pay.html",
            {
                "payment_request": payment_request,
                "order": order,
                "bank": selectors.bank_details(),
                "reference": selectors.payment_overview(order_id=order.pk).payment_reference,
                "card_pay_url": _card_pay_url(order),
            },
        )


def _card_pay_url(order: Any) -> str:
    """The storefront's card payment page for what the order owes now, where card payments are on."""
    if not card_payments_enabled() or order.payment_method.kind not in {"card", "prepayment"}:
        return ""
    return order_pay_url(order)
