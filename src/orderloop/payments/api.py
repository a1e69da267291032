"""Payments API (/api/v1/payments): the Stripe webhook, card intents, transfers, cash on delivery, refunds,
invoices and bank statements. Each handler checks the role, parses, calls services and shapes the answer.

POSTs that create a payment or a refund take an `Idempotency-Key` (core/idempotency.py). For card intents
and card refunds only the database step runs under the key; Stripe is called afterwards, outside the
transaction, with an idempotency key derived from the row, so a replay returns the same intent or refund.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Header, Router
from ninja.files import UploadedFile

from orderloop.catalog.csv_io import CsvFormatError, decode_upload
from orderloop.core.api_auth import require_perm
from orderloop.core.errors import InvalidInput
from orderloop.core.idempotency import run_idempotent
from orderloop.core.money import Money

from . import selectors, services
from .invoices import render_invoice_pdf
from .models import Invoice, Payment, PaymentRequest, Refund
from .schemas import (
    AmountIn,
    CaptureIn,
    IntentOut,
    InvoiceOut,
    MoneyOut,
    PaymentOut,
    PaymentRefundIn,
    PaymentRequestOut,
    PaymentsOut,
    RefundConfirmIn,
    RefundOut,
    StatementImportOut,
    StatementRowOut,
    StripeWebhookOut,
    TransferIn,
    dump,
)

router = Router(tags=["payments"])

MAX_STATEMENT_BYTES = 5 * 1024 * 1024


def money_out(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(**Money.of(amount, currency).as_json())


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(
        id=payment.pk,
        method_kind=payment.method_kind,
        provider=payment.provider,
        provider_reference=payment.provider_reference,
        status=payment.status,
        amount=money_out(payment.amount, payment.currency),
        captured=money_out(payment.captured_amount, payment.currency),
        failure_message=payment.failure_message,
        created_at=payment.created_at,
    )


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.pk,
        payment_id=refund.payment_id,
        status=refund.status,
        amount=money_out(refund.amount, refund.currency),
        provider_reference=refund.provider_reference,
        reason=refund.reason,
        failure_message=refund.failure_message,
        confirmed_by=refund.confirmed_by.get_username() if refund.confirmed_by else None,
        created_at=refund.created_at,
    )


def invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(
        number=invoice.number,
        order=invoice.order_number,
        payment_reference=invoice.payment_reference,
        issued_at=invoice.issued_at,
        due_date=invoice.due_date,
        amount_due=money_out(invoice.amount_due, invoice.currency),
        total=money_out(invoice.total_amount, invoice.currency),
        pdf_url=reverse("api-v1:payments_invoice_pdf", kwargs={"number": invoice.number}),
    )


def request_out(payment_request: PaymentRequest, url: str) -> PaymentRequestOut:
    return PaymentRequestOut(
        amount=money_out(payment_request.amount, payment_request.currency),
        status=payment_request.status,
        url=url,
        created_at=payment_request.created_at,
    )


def payments_out(order_id: int) -> PaymentsOut:
    view = selectors.payment_overview(order_id=order_id)
    currency = view.order.currency
    return PaymentsOut(
        order=view.order.number,
        payment_method=view.order.payment_method.code,
        payment_kind=view.kind,
        state=view.state,
        total=money_out(view.sums.total, currency),
        paid=money_out(view.sums.net_paid, currency),
        refunded=money_out(view.sums.refunded, currency),
        due_now=money_out(view.due_now, currency),
        outstanding=money_out(view.outstanding, currency),
        prepayment=money_out(view.prepayment, currency) if view.prepayment else None,
        payment_reference=view.payment_reference,
        payments=[payment_out(p) for p in view.payments],
        refunds=[refund_out(r) for r in view.refunds],
        invoice=invoice_out(view.invoice) if view.invoice else None,
        payment_request=request_out(view.open_request, view.open_request_url) if view.open_request else None,
    )


def _order_id(number: str) -> int:
    return selectors.order_for_payments(number=number).pk


def _idempotent(
    request: HttpRequest, *, scope: str, key: str | None, body: Any, action: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    answer = run_idempotent(scope=f"{scope}:{request.user.pk}", key=key, request_body=body, action=action)
    return answer.status_code, answer.body, answer.replayed


def _json(status: int, body: Any, replayed: bool) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# --- Stripe webhook -----------------------------------------------------------------------------------


@router.post(
    "/stripe/webhook",
    auth=None,
    response={200: StripeWebhookOut},
    summary="Stripe webhook (signature-verified, no token)",
    description=(
        "Verifies `Stripe-Signature` with the webhook secret: a bad signature is a 400 and changes nothing. "
        "A replayed event id, or an event for an intent this shop does not know, is answered 200 and "
        "ignored (logged)."
    ),
    # The raw body is read (the signature covers its bytes), so the event is documented by hand.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "description": "A Stripe event."}}},
        }
    },
)
def stripe_webhook(request: HttpRequest) -> StripeWebhookOut:
    result = services.stripe_webhook_receive(payload=request.body, headers=request.headers)
    return StripeWebhookOut(received=True, outcome=result.outcome)


# --- Card intents ---------------------------------------------------------------------------------------


@router.post(
    "/orders/{number}/intents",
    response={201: IntentOut},
    summary="Create a card PaymentIntent for what the order owes now",
    description=(
        "Returns the intent's `client_secret` for Stripe.js. The amount is what is due now: the outstanding "
        "total, or the prepayment of a prepayment order. An `Idempotency-Key` returns the same intent again."
    ),
)
def intent_create(
    request: HttpRequest, number: str, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
) -> JsonResponse:
    require_perm(request, "payments.add_payment")
    order_id = _order_id(number)

    def start() -> tuple[int, Any]:
        return 201, {"payment_id": services.card_payment_start(order_id=order_id, actor=request.user).pk}

    status, body, replayed = _idempotent(
        request, scope="payments.intent", key=idempotency_key, body={"order": number}, action=start
    )
    intent = services.card_payment_open(payment_id=int(body["payment_id"]))
    out = IntentOut(
        payment_id=intent.payment.pk,
        intent_id=intent.payment.provider_reference,
        client_secret=intent.client_secret,
        status=intent.payment.status,
        amount=money_out(intent.payment.amount, intent.payment.currency),
    )
    return _json(status, dump(out), replayed)


@router.post("/{payment_id}/capture", response=PaymentOut, summary="Capture an authorized card payment")
def payment_capture(request: HttpRequest, payment_id: int, payload: CaptureIn | None = None) -> PaymentOut:
    require_perm(request, "payments.capture_payment")
    payment = services.payment_capture(
        payment_id=payment_id, actor=request.user, amount=payload.amount if payload else None
    )
    return payment_out(payment)


# --- The order's payments -------------------------------------------------------------------------------


@router.get(
    "/orders/{number}", response=PaymentsOut, summary="The order's payments, refunds, state and invoice"
)
def order_payments(request: HttpRequest, number: str) -> PaymentsOut:
    require_perm(request, "payments.view_payment")
    return payments_out(_order_id(number))


@router.post(
    "/orders/{number}/transfers",
    response={201: PaymentOut},
    summary="Mark a bank transfer received (staff)",
)
def transfer_record(
    request: HttpRequest,
    number: str,
    payload: TransferIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "payments.record_transfer")
    order_id = _order_id(number)

    def record() -> tuple[int, Any]:
        payment = services.payment_record_transfer(
            order_id=order_id, amount=payload.amount, reference=payload.reference, actor=request.user
        )
        return 201, dump(payment_out(payment))

    return _json(
        *_idempotent(
            request,
            scope=f"payments.transfer:{number}",
            key=idempotency_key,
            body=payload.model_dump(mode="json"),
            action=record,
        )
    )


@router.post(
    "/orders/{number}/cod-collected",
    response={201: PaymentOut},
    summary="Record cash collected on delivery (courier or carrier)",
)
def cod_collected(
    request: HttpRequest,
    number: str,
    payload: AmountIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "payments.record_cod")
    order_id = _order_id(number)

    def record() -> tuple[int, Any]:
        payment = services.payment_record_cod_collected(
            order_id=order_id, amount=payload.amount, actor=request.user
        )
        return 201, dump(payment_out(payment))

    return _json(
        *_idempotent(
            request,
            scope=f"payments.cod:{number}",
            key=idempotency_key,
            body=payload.model_dump(mode="json"),
            action=record,
        )
    )


@router.post(
    "/orders/{number}/refunds",
    response={201: list[RefundOut]},
    summary="Refund money to the customer",
    description=(
        "Card payments are refunded through Stripe at once; cash and transfers are recorded as refunds to "
        "pay by bank transfer (`pending` until staff confirm them). Send an `Idempotency-Key`."
    ),
)
def refund_create(
    request: HttpRequest,
    number: str,
    payload: PaymentRefundIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "payments.add_refund")
    order_id = _order_id(number)

    def plan() -> tuple[int, Any]:
        rows = services.refund_request(
            order_id=order_id, amount=payload.amount, reason=payload.reason, actor=request.user
        )
        return 201, {"refund_ids": [row.pk for row in rows]}

    status, body, replayed = _idempotent(
        request,
        scope=f"payments.refund:{number}",
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        action=plan,
    )
    refunds = [services.refund_send(refund_id=int(refund_id)) for refund_id in body["refund_ids"]]
    return _json(status, [dump(refund_out(refund)) for refund in refunds], replayed)


@router.post("/refunds/{refund_id}/confirm", response=RefundOut, summary="Confirm a refund awaiting staff")
def refund_confirm(request: HttpRequest, refund_id: int, payload: RefundConfirmIn | None = None) -> RefundOut:
    require_perm(request, "payments.confirm_refund")
    refund = services.refund_confirm(
        refund_id=refund_id, actor=request.user, reference=payload.reference if payload else ""
    )
    return refund_out(refund)


@router.post("/refunds/{refund_id}/cancel", response=RefundOut, summary="Cancel a refund awaiting staff")
def refund_cancel(request: HttpRequest, refund_id: int) -> RefundOut:
    require_perm(request, "payments.confirm_refund")
    return refund_out(services.refund_cancel(refund_id=refund_id, actor=request.user))


# --- Invoices ---------------------------------------------------------------------------------------


@router.post(
    "/orders/{number}/invoice",
    response={200: InvoiceOut, 201: InvoiceOut},
    summary="Issue the order's bank transfer invoice (once; again returns it)",
)
def invoice_issue(request: HttpRequest, number: str) -> tuple[int, InvoiceOut]:
    require_perm(request, "payments.issue_invoice")
    order_id = _order_id(number)
    existed = Invoice.objects.filter(order_id=order_id).exists()
    invoice = services.invoice_issue(order_id=order_id, actor=request.user)
    return (200 if existed else 201), invoice_out(invoice)


@router.get(
    "/invoices/{number}.pdf",
    url_name="payments_invoice_pdf",
    summary="The invoice as PDF",
    response={200: None},
)
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    require_perm(request, "payments.view_invoice")
    invoice = selectors.invoice_by_number(number=number)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response


# --- Bank statements ----------------------------------------------------------------------------------


@router.post(
    "/bank-statements",
    response={201: StatementImportOut},
    summary="Import a bank statement CSV: transfers matched by payment reference and amount",
    description=(
        "Columns (header row, `,` `;` or tab): `amount` and `reference` (or `details`/`description`) "
        "required; `date`, `currency`, `id` (the bank's transaction id) read when present."
    ),
)
def statement_import(request: HttpRequest, file: UploadedFile = File(...)) -> tuple[int, StatementImportOut]:  # noqa: B008
    require_perm(request, "payments.record_transfer")
    if file.size and file.size > MAX_STATEMENT_BYTES:
        raise InvalidInput(details={"file": _("At most 5 MB.")})
    try:
        content = decode_upload(file.read())
    except CsvFormatError as exc:
        raise InvalidInput(details={"file": str(exc)}) from None
    job = services.bank_statement_import(file_name=file.name or "", content=content, actor=request.user)
    return 201, StatementImportOut(
        id=job.pk,
        file_name=job.file_name,
        rows_total=job.rows_total,
        rows_matched=job.rows_matched,
        rows_unmatched=job.rows_unmatched,
        rows=[StatementRowOut(**{k: v for k, v in row.items() if k != "payment"}) for row in job.report],
    )
