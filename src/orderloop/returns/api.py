"""Returns API (/api/v1/returns): open a return (Idempotency-Key), list and read returns, the staff
actions along the RMA's statuses, refunds (Idempotency-Key) and exchanges, label and credit note PDFs,
policies, and the return analytics feed. Each handler checks the role, parses, calls a service or a
selector and shapes the answer; Stripe and the shipping port are called after the transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router

from orderloop.core.api_auth import require_perm
from orderloop.core.errors import InvalidInput, NotFound
from orderloop.core.idempotency import run_idempotent
from orderloop.core.money import Money
from orderloop.core.pagination import keyset_page
from orderloop.core.shapes import UtcDateTime
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order

from . import selectors, services
from .documents import render_credit_note_pdf
from .errors import PolicyNotFound
from .models import CreditNote, ReturnChannel, ReturnPolicy, ReturnRequest, ReturnStatus
from .schemas import (
    BankConfirmIn,
    BankDetailsIn,
    ExchangeIn,
    InspectIn,
    MoneyOut,
    PolicyIn,
    PolicyOut,
    QuoteOut,
    ReceiveIn,
    RefundRowOut,
    ReturnEventOut,
    ReturnIn,
    ReturnLineOut,
    ReturnOut,
    ReturnPageOut,
    ReturnRateOut,
    ReturnReasonIn,
    ReturnRefundIn,
    ReturnScanIn,
    ReturnSummaryOut,
    TransitIn,
)

router = Router(tags=["returns"])
STATUS_FILTER = "One or more of: " + ", ".join(ReturnStatus.values) + " (repeat or comma-separate)."
logger = logging.getLogger(__name__)


def _money(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(**Money.of(amount, currency).as_json())


def return_out(rma: ReturnRequest) -> ReturnOut:
    from orderloop.returns import domain

    rma = selectors.return_by_number(rma.number)
    currency = rma.currency
    note = CreditNote.objects.filter(request=rma).first()
    lines = [
        ReturnLineOut(
            id=line.pk,
            sku=line.sku,
            name=line.order_line.name,
            quantity=line.quantity,
            reason=line.reason,
            refunded_quantity=line.refunded_quantity,
            refunded=_money(line.refunded_amount, currency),
            inspections=[
                {
                    "quantity": i.quantity,
                    "grade": i.grade,
                    "disposition": i.disposition,
                    "refund": i.refund,
                    "warehouse": i.warehouse.code if i.warehouse else None,
                    "note": i.note,
                }
                for i in line.inspections.select_related("warehouse")
            ],
        )
        for line in rma.lines.select_related("order_line")
    ]
    return ReturnOut(
        number=rma.number,
        order=rma.order.number,
        status=rma.status,
        method=rma.method,
        opened_via=rma.opened_via,
        created_at=rma.created_at,
        warehouse=rma.warehouse.code if rma.warehouse else None,
        tracking_ref=rma.tracking_ref,
        carrier=rma.carrier,
        label_url=reverse("api-v1:returns_label_pdf", kwargs={"number": rma.number})
        if rma.label_file
        else None,
        received_at=rma.received_at,
        refund_due_at=rma.refund_due_at,
        refund_overdue=rma.refund_overdue_at is not None,
        allowed_next=domain.allowed_next(rma.status),
        lines=lines,
        goods=_money(rma.goods_amount, currency),
        delivery=_money(rma.delivery_amount, currency),
        return_shipping_fee=_money(rma.fee_amount, currency),
        deduction=_money(rma.deduction_amount, currency),
        refund=_money(rma.refund_amount, currency),
        refunds=[
            RefundRowOut(
                id=r.pk,
                status=r.status,
                amount=_money(r.amount, r.currency),
                provider_reference=r.provider_reference,
            )
            for r in selectors.refund_rows(rma)
        ],
        bank_iban=rma.bank_iban,
        bank_holder=rma.bank_holder,
        exchange_order=rma.exchange_order.number if rma.exchange_order else None,
        credit_note=note.number if note else None,
        credit_note_url=reverse("api-v1:returns_credit_note_pdf", kwargs={"number": rma.number})
        if note
        else None,
        rejection_reason=rma.rejection_reason,
        events=[
            ReturnEventOut(
                kind=e.kind,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=e.actor.get_username() if e.actor else None,
                reason=e.reason,
                data=e.data,
                created_at=e.created_at,
            )
            for e in rma.events.select_related("actor").order_by("id")
        ],
    )


def _json(status: int, body: Any, replayed: bool) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _rma_id(number: str) -> int:
    return selectors.return_by_number(number).pk


def _idempotent(
    request: HttpRequest, *, scope: str, key: str | None, body: Any, action: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    answer = run_idempotent(scope=f"{scope}:{request.user.pk}", key=key, request_body=body, action=action)
    return answer.status_code, answer.body, answer.replayed


# --- Policies (static paths first: they must not be read as a return number) -------------------------


def policy_out(country: str) -> PolicyOut:
    terms = selectors.policy_terms_for(country)
    row = ReturnPolicy.objects.filter(country=country).prefetch_related("non_returnable_categories").first()
    return PolicyOut(
        country=country or "*",
        window_days=terms.window_days,
        legal_minimum=terms.legal_minimum,
        conditions=list(terms.conditions),
        non_returnable_categories=[c.slug for c in row.non_returnable_categories.all()] if row else [],
        return_shipping_paid_by=terms.return_shipping_paid_by,
        return_shipping_fee=str(terms.fee),
        refund_delivery=terms.refund_delivery,
        methods=list(terms.methods),
        refund_due_days=terms.refund_due_days,
        auto_approve=terms.auto_approve,
        notes=terms.notes,
    )


def _country(raw: str) -> str:
    return "" if raw.strip().lower() in {"*", "default", ""} else raw.strip().upper()


@router.get("/policies", response=list[PolicyOut], summary="Return policies (the shop's default first)")
def policy_list(request: HttpRequest) -> list[PolicyOut]:
    require_perm(request, "returns.view_returnpolicy")
    return [policy_out(row.country) for row in selectors.policies()]


@router.get("/policies/{country}", response=PolicyOut, summary="The terms customers in a country get")
def policy_get(request: HttpRequest, country: str) -> PolicyOut:
    require_perm(request, "returns.view_returnpolicy")
    return policy_out(_country(country))


@router.put(
    "/policies/{country}",
    response=PolicyOut,
    summary="Set the return policy of a country (`default`: every other country)",
    description="A window below the country's legal minimum (`RETURN_LEGAL_MINIMUM_DAYS`) is a 422.",
)
def policy_put(request: HttpRequest, country: str, payload: PolicyIn) -> PolicyOut:
    require_perm(request, "returns.change_returnpolicy")
    code = _country(country)
    services.policy_save(
        data=services.PolicyInput(country=code, **payload.model_dump()),
        actor=request.user,
    )
    return policy_out(code)


@router.delete("/policies/{country}", response={204: None}, summary="Drop a country's own policy")
def policy_delete(request: HttpRequest, country: str) -> tuple[int, None]:
    require_perm(request, "returns.change_returnpolicy")
    deleted, _rows = ReturnPolicy.objects.filter(country=_country(country)).delete()
    if not deleted:
        raise PolicyNotFound()
    return 204, None


# --- Analytics feed ------------------------------------------------------------------------------------


@router.get(
    "/analytics",
    response=list[ReturnRateOut],
    summary="Return rate and reasons per variant, product or category",
    description="For orders placed in [since, until). Highest rate first. Refused parcels are not sales.",
)
def analytics(
    request: HttpRequest,
    group_by: str = "variant",
    since: UtcDateTime | None = None,
    until: UtcDateTime | None = None,
) -> list[ReturnRateOut]:
    require_perm(request, "returns.view_returnrequest")
    if group_by not in selectors.GROUPS:
        raise InvalidInput(details={"group_by": _("Use variant, product or category.")})
    return [
        ReturnRateOut(
            key=row.key,
            label=row.label,
            units_sold=row.units_sold,
            units_returned=row.units_returned,
            rate=str(row.rate),
            reasons=row.reasons,
        )
        for row in selectors.return_rates(group_by=group_by, since=since, until=until)
    ]


@router.post("/scan", response=ReturnOut, summary="Receive a return by scanning its RMA barcode")
def receive_scan(request: HttpRequest, payload: ReturnScanIn) -> ReturnOut:
    require_perm(request, "returns.receive_return")
    rma = services.return_receive_scan(
        code=payload.code, actor=request.user, warehouse_code=payload.warehouse
    )
    return return_out(rma)


# --- Returns -------------------------------------------------------------------------------------------


@router.get("", response=ReturnPageOut, summary="List returns, newest first")
def return_list(
    request: HttpRequest,
    status: list[str] | None = Query(None, description=STATUS_FILTER),  # noqa: B008
    overdue: bool | None = None,
    order: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> ReturnPageOut:
    require_perm(request, "returns.view_returnrequest")
    statuses = [v.strip() for item in status or [] for v in item.split(",") if v.strip()]
    unknown = [v for v in statuses if v not in ReturnStatus.values]
    if unknown:
        raise InvalidInput(details={"status": _("Unknown status: %(status)s.") % {"status": unknown[0]}})
    page = keyset_page(
        selectors.return_list(statuses=statuses, overdue=overdue, order_number=order),
        cursor=cursor,
        limit=limit,
    )
    return ReturnPageOut(
        items=[
            ReturnSummaryOut(
                number=r.number,
                order=r.order.number,
                status=r.status,
                method=r.method,
                created_at=r.created_at,
                refund_due_at=r.refund_due_at,
                refund_overdue=r.refund_overdue_at is not None,
                refund=_money(r.refund_amount, r.currency),
            )
            for r in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.post(
    "",
    response={201: ReturnOut},
    summary="Open a return for a customer",
    description=(
        "Lines by SKU with a reason code. Outside the window: 409 `return_window_closed`; a line that "
        "cannot be returned: 422 `lines_not_returnable` (details per line). Send an `Idempotency-Key`."
    ),
)
def return_create(
    request: HttpRequest,
    payload: ReturnIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "returns.add_returnrequest")
    order = Order.objects.filter(number=payload.order.strip()).first()
    if order is None:
        raise OrderNotFound(details={"order": payload.order})
    by_sku = {line.sku: line.pk for line in order.lines.all()}
    missing = {
        f"lines.{i}.sku": _("Not a line of this order.")
        for i, line in enumerate(payload.lines)
        if line.sku not in by_sku
    }
    if missing:
        raise InvalidInput(details=missing)

    def open_return() -> tuple[int, Any]:
        rma = services.return_open(
            order_id=order.pk,
            lines=[
                services.LineInput(order_line_id=by_sku[line.sku], quantity=line.quantity, reason=line.reason)
                for line in payload.lines
            ],
            method=payload.method,
            channel=ReturnChannel.API,
            actor=request.user,
            note=payload.note,
            bank_iban=payload.bank_iban,
            bank_holder=payload.bank_holder,
        )
        return 201, {"number": rma.number}

    status, body, replayed = _idempotent(
        request,
        scope="returns.open",
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        action=open_return,
    )
    rma = selectors.return_by_number(body["number"])
    try:
        rma = services.return_label_create(rma_id=rma.pk)
    except Exception:  # the task makes the label later
        logger.exception("return label for %s could not be made now", rma.number)
    response = _json(status, return_out(rma).model_dump(mode="json"), replayed)
    response["Location"] = f"{request.path.rstrip('/')}/{rma.number}"
    return response


@router.get(
    "/{number}", response=ReturnOut, summary="A return with its lines, inspections, refunds and events"
)
def return_get(request: HttpRequest, number: str) -> ReturnOut:
    require_perm(request, "returns.view_returnrequest")
    return return_out(selectors.return_by_number(number))


@router.get("/{number}/quote", response=QuoteOut, summary="What a refund of this return would pay now")
def return_quote(request: HttpRequest, number: str) -> QuoteOut:
    require_perm(request, "returns.view_returnrequest")
    rma = selectors.return_by_number(number)
    quote = selectors.refund_quote(rma).quote
    return QuoteOut(
        goods=_money(quote.goods, rma.currency),
        delivery=_money(quote.delivery, rma.currency),
        return_shipping_fee=_money(quote.fee, rma.currency),
        cap=_money(quote.cap, rma.currency),
        due=_money(quote.due, rma.currency),
    )


@router.post(
    "/{number}/approve", response=ReturnOut, summary="Approve a requested return (the label follows)"
)
def return_approve(request: HttpRequest, number: str) -> ReturnOut:
    require_perm(request, "returns.approve_return")
    rma = services.return_approve(rma_id=_rma_id(number), actor=request.user)
    try:
        services.return_label_create(rma_id=rma.pk)
    except Exception:  # the task makes the label later
        logger.exception("return label for %s could not be made now", rma.number)
    return return_out(rma)


@router.post("/{number}/reject", response=ReturnOut, summary="Reject a requested return, with a reason")
def return_reject(request: HttpRequest, number: str, payload: ReturnReasonIn) -> ReturnOut:
    require_perm(request, "returns.approve_return")
    return return_out(
        services.return_reject(rma_id=_rma_id(number), actor=request.user, reason=payload.reason)
    )


@router.post("/{number}/close", response=ReturnOut, summary="Close a return (withdrawn, or nothing owed)")
def return_close(request: HttpRequest, number: str, payload: ReturnReasonIn) -> ReturnOut:
    require_perm(request, "returns.approve_return")
    return return_out(
        services.return_close(rma_id=_rma_id(number), actor=request.user, reason=payload.reason)
    )


@router.post("/{number}/in-transit", response=ReturnOut, summary="Mark the parcel as on its way")
def return_in_transit(request: HttpRequest, number: str, payload: TransitIn | None = None) -> ReturnOut:
    require_perm(request, "returns.receive_return")
    rma = services.return_mark_in_transit(
        rma_id=_rma_id(number), actor=request.user, tracking_ref=payload.tracking_ref if payload else ""
    )
    return return_out(rma)


@router.post("/{number}/receive", response=ReturnOut, summary="The parcel arrived (the refund SLA starts)")
def return_receive(request: HttpRequest, number: str, payload: ReceiveIn | None = None) -> ReturnOut:
    require_perm(request, "returns.receive_return")
    rma = services.return_receive(
        rma_id=_rma_id(number), actor=request.user, warehouse_code=payload.warehouse if payload else ""
    )
    return return_out(rma)


@router.post(
    "/{number}/inspect",
    response=ReturnOut,
    summary="Grade every unit; stock follows (restock, quarantine, write-off)",
    description="Every unit of every line needs a grade (`missing` for units not in the parcel).",
)
def return_inspect(request: HttpRequest, number: str, payload: InspectIn) -> ReturnOut:
    require_perm(request, "returns.inspect_return")
    rma = services.return_inspect(
        rma_id=_rma_id(number),
        items=[services.InspectionInput(**item.model_dump()) for item in payload.items],
        actor=request.user,
    )
    return return_out(rma)


@router.post(
    "/{number}/refund",
    response={201: ReturnOut},
    summary="Refund an inspected return",
    description=(
        "The return becomes `refund_pending`; `refunded` once the money moved. Card money goes back "
        "through Stripe (refunded when Stripe confirms); cash on delivery and transfers by bank transfer "
        "to `bank_iban` / `bank_holder` (default: the account the customer gave with the request), "
        "refunded when staff confirm the transfer (`bank-refund-confirm`). Send an `Idempotency-Key`."
    ),
)
def return_refund(
    request: HttpRequest,
    number: str,
    payload: ReturnRefundIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "returns.refund_return")
    rma_id = _rma_id(number)

    def refund() -> tuple[int, Any]:
        services.return_refund_request(rma_id=rma_id, actor=request.user, **payload.model_dump())
        return 201, {"number": number}

    status, _body, replayed = _idempotent(
        request,
        scope=f"returns.refund:{number}",
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        action=refund,
    )
    rma = services.return_refund_send(rma_id=rma_id)
    return _json(status, return_out(rma).model_dump(mode="json"), replayed)


@router.post(
    "/{number}/bank-refund-confirm", response=ReturnOut, summary="The bank transfer to the customer was made"
)
def return_bank_confirm(request: HttpRequest, number: str, payload: BankConfirmIn) -> ReturnOut:
    require_perm(request, "returns.refund_return")
    require_perm(request, "payments.confirm_refund")
    rma = services.return_bank_refund_confirm(
        rma_id=_rma_id(number), actor=request.user, reference=payload.reference
    )
    return return_out(rma)


@router.post(
    "/{number}/bank-details",
    response=ReturnOut,
    summary="Correct the account a refund by bank transfer goes to",
    description="Until the refund has reached the customer. An invalid IBAN is a 422 `bank_details_invalid`.",
)
def return_bank_details(request: HttpRequest, number: str, payload: BankDetailsIn) -> ReturnOut:
    require_perm(request, "returns.refund_return")
    rma = services.return_set_bank_details(
        rma_id=_rma_id(number),
        actor=request.user,
        bank_iban=payload.bank_iban,
        bank_holder=payload.bank_holder,
    )
    return return_out(rma)


@router.post(
    "/{number}/exchange",
    response={201: ReturnOut},
    summary="Settle with a replacement order (reserves stock)",
    description="Send an `Idempotency-Key`. Not enough stock: 409 `insufficient_stock`, nothing written.",
)
def return_exchange(
    request: HttpRequest,
    number: str,
    payload: ExchangeIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "returns.refund_return")
    rma_id = _rma_id(number)

    def exchange() -> tuple[int, Any]:
        services.return_exchange_request(
            rma_id=rma_id,
            items=[services.ExchangeItem(sku=i.sku, quantity=i.quantity) for i in payload.items],
            actor=request.user,
        )
        return 201, {"number": number}

    status, _body, replayed = _idempotent(
        request,
        scope=f"returns.exchange:{number}",
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        action=exchange,
    )
    rma = services.return_refund_send(rma_id=rma_id)
    return _json(status, return_out(rma).model_dump(mode="json"), replayed)


@router.post("/{number}/notes", response={201: ReturnEventOut}, summary="An internal note on the return")
def return_note(request: HttpRequest, number: str, payload: ReturnReasonIn) -> tuple[int, ReturnEventOut]:
    require_perm(request, "returns.view_returnrequest")
    event = services.return_add_note(rma_id=_rma_id(number), actor=request.user, text=payload.reason)
    return 201, ReturnEventOut(
        kind=event.kind,
        from_status="",
        to_status="",
        actor=request.user.get_username(),
        reason=event.reason,
        data={},
        created_at=event.created_at,
    )


@router.get(
    "/{number}/label.pdf", url_name="returns_label_pdf", response={200: None}, summary="The return label"
)
def label_pdf(request: HttpRequest, number: str) -> HttpResponse:
    require_perm(request, "returns.view_returnrequest")
    rma = selectors.return_by_number(number)
    if not rma.label_file:
        raise NotFound(_("This return has no label (yet)."))
    with rma.label_file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="return-{rma.number}.pdf"'
    return response


@router.get(
    "/{number}/credit-note.pdf",
    url_name="returns_credit_note_pdf",
    response={200: None},
    summary="The credit note",
)
def credit_note_pdf(request: HttpRequest, number: str) -> HttpResponse:
    require_perm(request, "returns.view_creditnote")
    rma = selectors.return_by_number(number)
    note = CreditNote.objects.filter(request=rma).first()
    if note is None:
        raise NotFound(_("No credit note was issued for this return."))
    response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="credit-note-{note.number}.pdf"'
    return response
