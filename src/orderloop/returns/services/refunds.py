"""Refunds: the amount, the payments' refund rows, the credit note, `refund_pending` until the money moved."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.events import money
from orderloop.core.money import Money, MoneyError
from orderloop.core.sequences import next_in_sequence
from orderloop.core.text import clean_text
from orderloop.orders.services import Actor

from .. import domain, selectors
from ..errors import BankDetailsRequired, InvalidReturnTransition, NothingToRefund, ReturnNotFound
from ..models import CreditNote, CreditNoteCounter, ReturnEventKind, ReturnLine, ReturnRequest
from ..transitions import RETURNS, move, timeline
from .common import S, _clean_bank_details, _lock_order, _locked, _order_after_return


def _next_credit_note_sequence(year: int) -> int:
    """The next credit note of the year without gaps, inside the issuing transaction (core/sequences.py)."""
    return next_in_sequence(CreditNoteCounter, key_field="year", key=year)


def credit_note_number(year: int, sequence: int) -> str:
    return f"CN{year}-{sequence:06d}"


def _credit_note_issue(
    rma: ReturnRequest, quote: selectors.Quote, *, total: Decimal, settlement: str, actor: Actor
) -> CreditNote:
    from orderloop.payments.selectors import bank_details

    order = rma.order
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence = _next_credit_note_sequence(year)
    invoice = order.invoices.order_by("-id").first()
    return CreditNote.objects.create(
        number=credit_note_number(year, sequence),
        year=year,
        sequence=sequence,
        request=rma,
        order=order,
        order_number=order.number,
        return_number=rma.number,
        invoice_number=invoice.number if invoice else "",
        language=order.customer_language,
        issued_at=now,
        currency=order.currency,
        goods_amount=quote.quote.goods,
        delivery_amount=quote.quote.delivery,
        fee_amount=quote.quote.fee,
        deduction_amount=quote.quote.deduction,
        total_amount=total,
        settlement=settlement,
        lines=[
            {"sku": v.line.sku, "name": v.line.order_line.name, "quantity": v.units, "amount": str(v.amount)}
            for v in quote.lines
            if v.units
        ],
        customer={
            "name": order.customer_name,
            "email": order.customer_email,
            "phone": order.customer_phone,
            "address": [
                p
                for p in (
                    order.ship_line1,
                    order.ship_line2,
                    " ".join(x for x in (order.ship_postal_code, order.ship_city) if x),
                    order.ship_country,
                )
                if p
            ],
        },
        seller=bank_details(),
        issued_by_id=_actor_id(actor),
    )


def _record_settlement(rma: ReturnRequest, quote: selectors.Quote) -> None:
    for value in quote.lines:
        if value.units:
            ReturnLine.objects.filter(pk=value.line.pk).update(
                refunded_quantity=value.units, refunded_amount=value.amount
            )
    rma.goods_amount = quote.quote.goods
    rma.delivery_amount = quote.quote.delivery
    rma.fee_amount = quote.quote.fee
    rma.deduction_amount = quote.quote.deduction


def _deduction(value: object, currency: str) -> Decimal:
    try:
        amount = Money.of(value if value not in (None, "") else "0", currency).amount
    except MoneyError:
        raise InvalidInput(details={"deduction": _("Not a decimal amount.")}) from None
    if amount < 0:
        raise InvalidInput(details={"deduction": _("Must not be negative.")})
    return amount


def return_refund_request(
    *,
    rma_id: int,
    actor: Actor,
    deduction: object = "0",
    deduction_reason: str = "",
    bank_iban: str = "",
    bank_holder: str = "",
) -> ReturnRequest:
    """Step 1 of a refund (committed before Stripe is called): the amount (domain.refund_quote: paid
    units, delivery and return shipping per policy, less a deduction, never above what the order's
    payments still hold), the payments' refund rows (card first), the credit note, status
    `refund_pending`. The return becomes `refunded` (the customer's email, the order's status) only when
    the money moved: the provider confirmed the card refund, or staff the bank transfer
    (`return_bank_refund_confirm`), or the `refund.succeeded` event says so (returns/consumers.py). A refund by bank
    transfer (cash on delivery, transfers) goes to the IBAN and holder given here, or else to those the
    customer gave with the request."""
    from orderloop.payments.models import RefundStatus
    from orderloop.payments.services import refund_request

    with transaction.atomic():
        order, rma = _locked(rma_id)
        RETURNS.check(rma.status, S.REFUND_PENDING)
        amount_off = _deduction(deduction, order.currency)
        reason = clean_text(deduction_reason, 255)
        if amount_off > 0 and not reason:
            raise InvalidInput(details={"deduction_reason": _("Say why the refund is reduced.")})
        quote = selectors.refund_quote(rma, deduction=amount_off)
        if amount_off > quote.quote.before_deduction:
            raise InvalidInput(details={"deduction": _("More than the refund.")})
        total = quote.quote.due
        if total <= 0:
            raise NothingToRefund(details={"goods": str(quote.quote.goods), "cap": str(quote.quote.cap)})
        rows = refund_request(
            order_id=order.pk, amount=total, reason=f"return {rma.number}", actor=actor, confirm=True
        )
        by_transfer = any(row.status == RefundStatus.PENDING for row in rows)
        if by_transfer and (bank_iban.strip() or bank_holder.strip() or not rma.bank_iban):
            errors: dict[str, str] = {}
            try:
                rma.bank_iban = domain.clean_iban(bank_iban)
            except ValueError:
                errors["bank_iban"] = _("Not a valid IBAN.")
            rma.bank_holder = clean_text(bank_holder, 200)
            if not rma.bank_holder:
                errors["bank_holder"] = _("This field is required.")
            if errors:
                raise BankDetailsRequired(details=errors)
        _record_settlement(rma, quote)
        rma.deduction_reason = reason
        rma.refund_amount = total
        rma.refund_ids = [row.pk for row in rows]
        move(
            rma,
            S.REFUND_PENDING,
            actor=actor,
            reason=reason,
            data={"amount": str(total), "refunds": rma.refund_ids},
            payload={
                "refund": money(total, order.currency),
                "refund_ids": rma.refund_ids,
                "by_transfer": by_transfer,
            },
        )
        _credit_note_issue(rma, quote, total=total, settlement="refund", actor=actor)
        timeline(
            rma,
            kind=ReturnEventKind.REFUND,
            actor=actor,
            data={
                "amount": str(total),
                "currency": order.currency,
                "by_transfer": by_transfer,
                **({"iban": domain.masked_iban(rma.bank_iban)} if by_transfer else {}),
            },
        )
        return rma


def return_refunds_moved(*, order_id: int, actor: Actor) -> list[ReturnRequest]:
    """A refund of the order reached the customer (`refund.succeeded`, consumed in returns/consumers.py;
    or this area's own confirm and send paths, in their transaction): each `refund_pending` return whose
    refunds have all succeeded becomes `refunded` (`return.refunded`: notifications send the "refunded"
    email), and the order follows its returns. Does nothing a second time."""
    done: list[ReturnRequest] = []
    with transaction.atomic():
        waiting = ReturnRequest.objects.filter(order_id=order_id, status=S.REFUND_PENDING)
        for rma_id in waiting.order_by("id").values_list("id", flat=True):
            _order, rma = _locked(rma_id)
            if rma.status != S.REFUND_PENDING or not selectors.refunds_succeeded(rma):
                continue
            rma.refunded_at = timezone.now()
            move(
                rma,
                S.REFUNDED,
                actor=actor,
                data={"amount": str(rma.refund_amount)},
                payload={"refund": money(rma.refund_amount, rma.currency)},
            )
            done.append(rma)
        if done:
            _order_after_return(_lock_order(order_id), actor=actor)
    return done


def return_refund_send(*, rma_id: int) -> ReturnRequest:
    """Step 2: send the return's card refunds to the provider (outside any transaction; the payments
    area records each answer). Harmless to repeat."""
    from orderloop.payments.models import RefundStatus
    from orderloop.payments.services import refund_send

    rma = ReturnRequest.objects.filter(pk=rma_id).first()
    if rma is None:
        raise ReturnNotFound()
    for refund in selectors.refund_rows(rma):
        if refund.status == RefundStatus.PROCESSING and not refund.provider_reference:
            refund_send(refund_id=refund.pk)
    # The provider may have confirmed at once: refunded now, not when the event is consumed.
    return_refunds_moved(order_id=rma.order_id, actor=None)
    return ReturnRequest.objects.get(pk=rma_id)


def return_refund(
    *,
    rma_id: int,
    actor: Actor,
    deduction: object = "0",
    deduction_reason: str = "",
    bank_iban: str = "",
    bank_holder: str = "",
) -> ReturnRequest:
    """Refund a return: record it (one transaction), then send the card part to Stripe."""
    return_refund_request(
        rma_id=rma_id,
        actor=actor,
        deduction=deduction,
        deduction_reason=deduction_reason,
        bank_iban=bank_iban,
        bank_holder=bank_holder,
    )
    return return_refund_send(rma_id=rma_id)


def return_bank_refund_confirm(*, rma_id: int, actor: Actor, reference: str) -> ReturnRequest:
    """Staff made the bank transfer to the customer's IBAN: the return's waiting refunds are paid, all
    in one transaction; the return becomes `refunded` and the customer is told (`return_refunds_moved`, in
    this transaction, so the answer already shows it)."""
    from orderloop.payments.models import RefundStatus
    from orderloop.payments.services import refund_confirm

    reference = clean_text(reference, 255)
    if not reference:
        raise InvalidInput(details={"reference": _("The transfer's reference is required.")})
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        pending = [r for r in selectors.refund_rows(rma) if r.status == RefundStatus.PENDING]
        if not pending:
            raise InvalidReturnTransition(details={"refunds": _("No refund awaits a bank transfer.")})
        timeline(
            rma, kind=ReturnEventKind.REFUND, actor=actor, reason=reference, data={"bank_transfer": reference}
        )
        for refund in pending:
            refund_confirm(refund_id=refund.pk, actor=actor, reference=reference)
        return_refunds_moved(order_id=rma.order_id, actor=actor)
    return ReturnRequest.objects.select_related("order").get(pk=rma_id)


def return_set_bank_details(*, rma_id: int, actor: Actor, bank_iban: str, bank_holder: str) -> ReturnRequest:
    """Staff correct the account a refund by bank transfer goes to (the customer gave it with the request,
    or on the phone), until the refund has reached them. The event keeps only a masked IBAN."""
    iban, holder = _clean_bank_details(bank_iban, bank_holder, required=True)
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        if rma.status not in domain.OPEN:
            raise InvalidReturnTransition(
                details={"status": rma.status, "bank_iban": _("The refund of this return is settled.")}
            )
        before = rma.bank_iban
        rma.bank_iban, rma.bank_holder = iban, holder
        rma.save(update_fields=["bank_iban", "bank_holder", "updated_at"])
        timeline(
            rma,
            kind=ReturnEventKind.BANK_DETAILS,
            actor=actor,
            data={"iban": domain.masked_iban(iban), "before": domain.masked_iban(before) if before else ""},
        )
        return rma
