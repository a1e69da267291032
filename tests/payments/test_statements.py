"""Bank statement CSV: rows matched by payment reference and amount become payments; the rest is reported."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderloop.orders.models import OrderStatus
from orderloop.payments import domain, services
from orderloop.payments.errors import StatementInvalid
from orderloop.payments.models import OrderPaymentState, Payment, PaymentState

pytestmark = pytest.mark.django_db


def test_statement_rows_are_matched_or_reported(make_order):
    transfer = make_order("bank_transfer", confirm=True)
    prepaid = make_order("prepayment", confirm=True)
    other = make_order("bank_transfer")
    ref_t = domain.payment_reference(transfer.number)
    ref_p = domain.payment_reference(prepaid.number)
    ref_o = domain.payment_reference(other.number)
    csv = (
        "date;amount;currency;details;id\n"
        f"2026-03-01;220,00;UAH;Invoice {ref_t[:4]} {ref_t[4:]} thank you;TX-1\n"
        f"2026-03-01;66.00;UAH;{ref_p};TX-2\n"
        f"2026-03-02;100.00;UAH;{ref_o};TX-3\n"
        "2026-03-02;50.00;UAH;no reference here;TX-4\n"
        f"2026-03-02;50.00;UAH;{domain.payment_reference('99999')};TX-5\n"
        f"2026-03-02;220.00;EUR;{ref_o};TX-6\n"
        "2026-03-03;-15.00;UAH;bank fee;TX-7\n"
    )

    job = services.bank_statement_import(file_name="march.csv", content=csv, actor=None)

    outcomes = {row["transaction_id"]: row["outcome"] for row in job.report}
    assert outcomes == {
        "TX-1": "matched",
        "TX-2": "matched",
        "TX-3": "amount_mismatch",
        "TX-4": "no_reference",
        "TX-5": "unknown_reference",
        "TX-6": "currency_mismatch",
        "TX-7": "not_incoming",
    }
    assert (job.rows_total, job.rows_matched, job.rows_unmatched) == (7, 2, 5)
    mismatch = next(row for row in job.report if row["transaction_id"] == "TX-3")
    assert (mismatch["order"], mismatch["expected"]) == (other.number, "220.00")
    transfer.refresh_from_db()
    prepaid.refresh_from_db()
    assert transfer.status == OrderStatus.PAID
    assert prepaid.status == OrderStatus.PARTIALLY_PAID
    assert OrderPaymentState.objects.get(order=prepaid).state == PaymentState.PARTIALLY_PAID
    payment = Payment.objects.get(provider_reference="TX-1")
    assert (payment.provider, payment.amount) == ("bank_statement", Decimal("220.00"))

    # The same statement again records nothing twice.
    again = services.bank_statement_import(file_name="march.csv", content=csv, actor=None)
    assert {row["transaction_id"]: row["outcome"] for row in again.report}["TX-1"] == "duplicate"
    assert again.rows_matched == 0
    assert Payment.objects.count() == 2


def test_statement_without_the_required_columns_is_refused():
    with pytest.raises(StatementInvalid) as error:
        services.bank_statement_import(file_name="x.csv", content="date,sum_total\n1,2\n", actor=None)
    assert "reference" in error.value.details["file"]
