"""Pure payment rules: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderloop.orders.models import OrderStatus, PaymentKind
from orderloop.payments import domain
from orderloop.payments.domain import Refundable, Sums
from orderloop.payments.models import PaymentState

D = Decimal
S = OrderStatus


@pytest.mark.parametrize(
    ("sums", "state"),
    [
        (Sums(total=D("100")), PaymentState.UNPAID),
        (Sums(total=D("100"), authorized=D("100")), PaymentState.AUTHORIZED),
        (Sums(total=D("100"), captured=D("30")), PaymentState.PARTIALLY_PAID),
        (Sums(total=D("100"), captured=D("30"), authorized=D("70")), PaymentState.PARTIALLY_PAID),
        (Sums(total=D("100"), captured=D("100")), PaymentState.PAID),
        (Sums(total=D("100"), captured=D("120")), PaymentState.PAID),
        (Sums(total=D("100"), captured=D("100"), refunded=D("20")), PaymentState.PARTIALLY_REFUNDED),
        (Sums(total=D("100"), captured=D("100"), refunded=D("100")), PaymentState.REFUNDED),
        (Sums(total=D("0")), PaymentState.PAID),
    ],
)
def test_payment_state(sums: Sums, state: str) -> None:
    assert domain.payment_state(sums) == state


@pytest.mark.parametrize(
    ("status", "state", "kind", "moves"),
    [
        (S.NEW, PaymentState.PAID, PaymentKind.CARD, [S.PAID]),
        (S.AWAITING_PAYMENT, PaymentState.PAID, PaymentKind.BANK_TRANSFER, [S.PAID]),
        (S.PARTIALLY_PAID, PaymentState.PAID, PaymentKind.PREPAYMENT, [S.PAID]),
        (S.AWAITING_PAYMENT, PaymentState.PARTIALLY_PAID, PaymentKind.PREPAYMENT, [S.PARTIALLY_PAID]),
        (S.CONFIRMED, PaymentState.PARTIALLY_PAID, PaymentKind.PREPAYMENT, [S.PARTIALLY_PAID]),
        (S.NEW, PaymentState.PARTIALLY_PAID, PaymentKind.PREPAYMENT, [S.AWAITING_PAYMENT, S.PARTIALLY_PAID]),
        (S.CONFIRMED, PaymentState.PARTIALLY_PAID, PaymentKind.COD, []),
        (S.PAID, PaymentState.PAID, PaymentKind.CARD, []),
        (S.DELIVERED, PaymentState.PAID, PaymentKind.COD, []),  # COD collected at the door
        (S.CANCELLED, PaymentState.PAID, PaymentKind.CARD, []),
        (S.PICKING, PaymentState.PAID, PaymentKind.PREPAYMENT, []),
        (S.NEW, PaymentState.AUTHORIZED, PaymentKind.CARD, []),
        (S.PAID, PaymentState.REFUNDED, PaymentKind.CARD, []),
        (S.NEW, PaymentState.UNPAID, PaymentKind.COD, []),
    ],
)
def test_order_moves_only_where_the_order_table_allows(status, state, kind, moves) -> None:
    assert domain.order_moves(order_status=status, state=state, kind=kind) == moves


def test_minor_units_follow_the_currency_precision() -> None:
    assert domain.to_minor_units(D("129.90"), "UAH") == 12990
    assert domain.to_minor_units(D("129.90"), "SEK") == 12990
    assert domain.to_minor_units(D("0.01"), "EUR") == 1
    assert domain.to_minor_units(D("500"), "JPY") == 500
    assert domain.from_minor_units(12990, "UAH") == D("129.90")
    assert domain.from_minor_units(500, "JPY") == D("500")


def test_prepayment_share_or_fixed_amount() -> None:
    assert domain.prepayment_amount(total=D("220.00"), currency="UAH", share="0.30", fixed=None) == D("66.00")
    assert domain.prepayment_amount(total=D("99.99"), currency="UAH", share="0.30", fixed=None) == D("30.00")
    assert domain.prepayment_amount(total=D("220.00"), currency="UAH", share="0.30", fixed="50") == D("50.00")
    assert domain.prepayment_amount(total=D("20.00"), currency="UAH", share="0.30", fixed="50") == D("20.00")


def test_amount_due_now_per_method() -> None:
    sums = Sums(total=D("220"), captured=D("0"))
    assert domain.amount_due_now(kind=PaymentKind.COD, sums=sums, prepayment=D(0)) == 0
    assert domain.amount_due_now(kind=PaymentKind.CARD, sums=sums, prepayment=D(0)) == D("220")
    assert domain.amount_due_now(kind=PaymentKind.PREPAYMENT, sums=sums, prepayment=D("66")) == D("66")
    paid_share = Sums(total=D("220"), captured=D("66"))
    assert domain.amount_due_now(kind=PaymentKind.PREPAYMENT, sums=paid_share, prepayment=D("66")) == 0


def test_payment_reference_has_iso_11649_check_digits() -> None:
    reference = domain.payment_reference("1001")
    assert reference == "RF401001"
    assert domain.reference_order_number(reference) == "1001"
    assert domain.reference_order_number("RF411001") is None  # wrong check digits
    assert domain.find_references("Payment for order rf40 1001, thanks") == ["RF401001"]
    assert domain.find_references("RF401001 RF401002") == ["RF401001"]
    assert domain.find_references("order 1001") == []


def test_invoice_numbers_are_per_year_and_zero_padded() -> None:
    assert domain.invoice_number(2026, 1) == "2026-000001"
    assert domain.invoice_number(2027, 123456) == "2027-123456"


def test_split_refund_takes_card_money_first_and_refuses_too_much() -> None:
    payments = [
        Refundable(payment_id=1, remaining=D("66"), automatic=True),
        Refundable(payment_id=2, remaining=D("154"), automatic=False),
    ]
    assert domain.split_refund(D("50"), payments) == [(1, D("50"))]
    assert domain.split_refund(D("100"), payments) == [(1, D("66")), (2, D("34"))]
    with pytest.raises(ValueError):
        domain.split_refund(D("220.01"), payments)


def test_difference_after_edit() -> None:
    diff = domain.difference_after_edit
    card = PaymentKind.CARD
    assert diff(kind=card, total=D("250"), net_paid=D("220"), refunds_open=D(0), prepayment=D(0)).due == D(
        "30"
    )
    assert diff(kind=card, total=D("200"), net_paid=D("220"), refunds_open=D(0), prepayment=D(0)).refund == D(
        "20"
    )
    assert diff(kind=card, total=D("200"), net_paid=D("220"), refunds_open=D("20"), prepayment=D(0)) == (
        domain.Difference()
    )
    assert (
        diff(kind=card, total=D("250"), net_paid=D(0), refunds_open=D(0), prepayment=D(0))
        == domain.Difference()
    )
    cod = PaymentKind.COD
    assert (
        diff(kind=cod, total=D("250"), net_paid=D("66"), refunds_open=D(0), prepayment=D(0))
        == domain.Difference()
    )
    pre = PaymentKind.PREPAYMENT
    assert diff(kind=pre, total=D("300"), net_paid=D("66"), refunds_open=D(0), prepayment=D("90")).due == D(
        "24"
    )
    assert diff(kind=pre, total=D("50"), net_paid=D("66"), refunds_open=D(0), prepayment=D("15")).refund == D(
        "16"
    )


def test_parse_statement_reads_common_layouts() -> None:
    rows = domain.parse_statement(
        "Date;Amount;Currency;Details;ID\n"
        "2026-03-01;1 234,50;uah;Payment RF40 1001;TX-1\n"
        "01.03.2026;-10,00;UAH;fee;TX-2\n"
        "\n"
        "2026-03-02;abc;UAH;RF401001;TX-3\n"
    )
    assert [(r.line, r.amount, r.currency, r.transaction_id) for r in rows] == [
        (2, D("1234.50"), "UAH", "TX-1"),
        (3, D("-10.00"), "UAH", "TX-2"),
        (5, None, "UAH", "TX-3"),
    ]
    assert rows[2].error == "bad_amount"
    no_ids = domain.parse_statement("amount,reference\n100.00,RF401001\n")
    assert no_ids[0].transaction_id.startswith("sha256:")
    with pytest.raises(domain.StatementError, match="reference"):
        domain.parse_statement("amount,comment\n1,x\n")
