"""Bank statement imports: transfers naming a payment reference and paying what is due are recorded."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.money import Money
from orderloop.orders.models import Order, PaymentKind
from orderloop.orders.services import Actor

from .. import domain, selectors
from ..errors import StatementInvalid
from ..models import BankStatementImport, OrderPaymentState, Payment, Provider
from .common import _lock_order, _sync
from .offline import _record_captured


def _statement_row(row: domain.StatementRow, *, actor: Actor) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "line": row.line,
        "date": row.booked.isoformat() if row.booked else "",
        "amount": str(row.amount) if row.amount is not None else "",
        "currency": row.currency,
        "reference": row.text[:200],
        "transaction_id": row.transaction_id,
        "order": "",
        "outcome": "",
    }
    if row.error or row.amount is None:
        return {**entry, "outcome": "bad_amount"}
    if row.amount <= 0:
        return {**entry, "outcome": "not_incoming"}
    order_id = None
    for reference in domain.find_references(row.text):
        order_id = (
            OrderPaymentState.objects.filter(payment_reference=reference)
            .values_list("order_id", flat=True)
            .first()
            or Order.objects.filter(number=domain.reference_order_number(reference) or "")
            .values_list("id", flat=True)
            .first()
        )
        if order_id is not None:
            entry["reference"] = reference
            break
    if order_id is None:
        return {
            **entry,
            "outcome": "unknown_reference" if domain.find_references(row.text) else "no_reference",
        }
    try:
        with transaction.atomic():
            order = _lock_order(order_id)
            entry["order"] = order.number
            if Payment.objects.filter(
                provider=Provider.BANK_STATEMENT, provider_reference=row.transaction_id
            ).exists():
                return {**entry, "outcome": "duplicate"}
            if row.currency and row.currency != order.currency:
                return {**entry, "outcome": "currency_mismatch", "expected": order.currency}
            sums = selectors.payment_sums(order)
            due = domain.amount_due_now(
                kind=order.payment_method.kind, sums=sums, prepayment=selectors.prepayment_for(order)
            )
            amount = Money.of(row.amount, order.currency).amount
            if amount not in {due, sums.outstanding} or amount <= 0:
                return {**entry, "outcome": "amount_mismatch", "expected": str(due or sums.outstanding)}
            payment = _record_captured(
                order,
                kind=PaymentKind.BANK_TRANSFER,
                provider=Provider.BANK_STATEMENT,
                amount=amount,
                reference=row.transaction_id,
                actor=actor,
            )
            _sync(order, actor=actor, reason="bank_statement")
            return {**entry, "outcome": "matched", "payment": payment.pk}
    except IntegrityError:
        return {**entry, "outcome": "duplicate"}


def bank_statement_import(*, file_name: str, content: str, actor: Actor) -> BankStatementImport:
    """Record the transfers of a bank statement CSV that name a payment reference and pay what is due;
    every other row is reported (no reference, unknown reference, amount mismatch, duplicate, ...).
    Each matched row commits on its own, so importing the same statement again records nothing twice."""
    try:
        rows = domain.parse_statement(content)
    except domain.StatementError as exc:
        raise StatementInvalid(
            details={"file": _("Missing columns: %(columns)s.") % {"columns": str(exc)}}
        ) from None
    report = [_statement_row(row, actor=actor) for row in rows]
    matched = sum(1 for entry in report if entry["outcome"] == "matched")
    with transaction.atomic():
        return BankStatementImport.objects.create(
            file_name=(file_name or "statement.csv")[:255],
            uploaded_by_id=_actor_id(actor),
            rows_total=len(report),
            rows_matched=matched,
            rows_unmatched=len(report) - matched,
            report=report,
        )
