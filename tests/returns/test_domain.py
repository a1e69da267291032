"""Pure rules of returns, in milliseconds: legal minimum and window, line refusals, the RMA table,
refund arithmetic (coupon shares, partial quantities, delivery, return shipping), the SLA date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from orderloop.returns import domain

D = Decimal


def test_the_legal_minimum_of_a_country_falls_back_to_the_wildcard() -> None:
    minimums = {"*": 14, "XX": 30}
    assert domain.legal_minimum("xx", minimums) == 30
    assert domain.legal_minimum("SE", minimums) == 14
    assert domain.legal_minimum("SE", {}) == domain.DEFAULT_LEGAL_MINIMUM


@pytest.mark.parametrize(("policy", "minimum", "effective"), [(7, 14, 14), (14, 14, 14), (30, 14, 30)])
def test_the_window_is_never_below_the_legal_minimum(policy: int, minimum: int, effective: int) -> None:
    assert domain.effective_window(policy, minimum) == effective


def test_policy_errors_name_the_fields() -> None:
    errors = domain.policy_errors(
        window_days=10,
        minimum=14,
        refund_due_days=21,
        conditions=["unused", "smells_nice"],
        methods=[],
        fee=D("-1"),
        shipping_paid_by="nobody",
        refund_delivery="sometimes",
    )
    assert set(errors) == {
        "window_days",
        "refund_due_days",
        "conditions",
        "methods",
        "return_shipping_fee",
        "return_shipping_paid_by",
        "refund_delivery",
    }


def test_the_window_counts_calendar_days_from_delivery() -> None:
    delivered = date(2026, 3, 1)
    assert domain.last_return_day(delivered, 14) == date(2026, 3, 15)
    ok = domain.request_refusal(
        order_status="delivered", delivered_on=delivered, today=date(2026, 3, 15), window_days=14
    )
    late = domain.request_refusal(
        order_status="delivered", delivered_on=delivered, today=date(2026, 3, 16), window_days=14
    )
    assert (ok, late) == (None, "return_window_closed")
    assert domain.request_refusal(
        order_status="shipped", delivered_on=None, today=delivered, window_days=14
    ) == ("order_not_delivered")


def test_line_refusals() -> None:
    assert (
        domain.line_refusal(category_id=3, non_returnable=[3], returnable=2, requested=1) == "not_returnable"
    )
    assert domain.line_refusal(category_id=None, non_returnable=[3], returnable=2, requested=3) == (
        "quantity_exceeds_returnable"
    )
    assert (
        domain.line_refusal(category_id=1, non_returnable=[3], returnable=2, requested=0)
        == "invalid_quantity"
    )
    assert domain.line_refusal(category_id=1, non_returnable=[3], returnable=2, requested=2) is None


def test_the_rma_table() -> None:
    assert domain.can_move("requested", "approved") and domain.can_move("requested", "rejected")
    assert domain.can_move("approved", "in_transit") and domain.can_move("in_transit", "received")
    assert domain.can_move("received", "inspected")
    assert {
        s for s in ("refund_pending", "refunded", "exchanged", "closed") if domain.can_move("inspected", s)
    } == {"refund_pending", "exchanged", "closed"}
    # Refunded only once the money moved: through refund_pending, never straight from inspected.
    assert domain.allowed_next("refund_pending") == ["refunded"]
    assert not domain.can_move("requested", "refunded")  # nothing is refunded before inspection
    assert not domain.can_move("refunded", "refunded")
    assert {"rejected", "refunded", "exchanged", "closed"} == domain.FINAL
    assert "refund_pending" in domain.OPEN  # the order waits for it


def test_the_order_is_returned_only_when_every_unit_is_back() -> None:
    after = domain.order_status_after_returns
    assert after(ordered={1: 2}, back={1: 1}) == "partially_returned"  # 1 of 2 units
    assert after(ordered={1: 1, 2: 1, 3: 1}, back={2: 1}) == "partially_returned"  # 1 of 3 lines
    assert after(ordered={1: 2, 2: 1}, back={1: 2, 2: 1}) == "returned"
    assert after(ordered={1: 2}, back={}) == "completed"  # rejected or withdrawn
    assert after(ordered={1: 2}, back={1: 0}) == "completed"  # every unit missing from the parcel


def test_a_fully_returned_order_cannot_be_returned_again() -> None:
    today = date(2026, 1, 10)
    refusal = domain.request_refusal
    assert refusal(order_status="returned", delivered_on=today, today=today, window_days=14) == (
        "order_fully_returned"
    )
    assert refusal(order_status="partially_returned", delivered_on=today, today=today, window_days=14) is None


def test_an_exchange_ships_free_when_the_customer_does_not_pay_the_return() -> None:
    free_returns = domain.PolicyTerms(country="UA", window_days=14, legal_minimum=14)
    paid_returns = domain.PolicyTerms(
        country="UA", window_days=14, legal_minimum=14, return_shipping_paid_by="customer"
    )
    free = domain.exchange_delivery_free
    assert free(terms=free_returns, reasons=["wrong_size"], method="post")
    assert not free(terms=paid_returns, reasons=["wrong_size"], method="post")
    assert free(terms=paid_returns, reasons=["damaged"], method="post")  # the shop's fault


def test_damaged_units_never_go_back_to_available_stock() -> None:
    assert domain.disposition_error("damaged", "restock") == "disposition_not_allowed"
    assert domain.disposition_error("damaged", "write_off") is None
    assert domain.disposition_error("good", "restock") is None
    assert domain.disposition_error("missing", "restock") == "disposition_not_allowed"
    assert domain.disposition_error("shiny", "restock") == "unknown_grade"


def test_coupon_shares_add_up_to_the_discount() -> None:
    lines = [
        domain.PaidLine(1, D("100.00"), 1),
        domain.PaidLine(2, D("50.00"), 1),
        domain.PaidLine(3, D("0"), 1),
    ]
    nets = domain.line_net_amounts(lines, discount=D("10.00"), currency="UAH")
    assert nets == {1: D("93.33"), 2: D("46.67"), 3: D("0.00")}
    assert sum(nets.values()) == D("140.00")


def test_partial_units_add_up_to_the_line_never_a_cent_more() -> None:
    parts = [
        domain.units_amount(line_net=D("100.00"), line_quantity=3, before=before, quantity=1, currency="UAH")
        for before in range(3)
    ]
    assert parts == [D("33.33"), D("33.34"), D("33.33")] and sum(parts) == D("100.00")
    assert (
        domain.units_amount(line_net=D("100.00"), line_quantity=3, before=3, quantity=1, currency="UAH") == 0
    )


def test_delivery_is_refunded_per_policy_and_once() -> None:
    kwargs = {"delivery_amount": D("120.00"), "already_refunded": False}
    assert domain.delivery_refund(rule="never", order_fully_returned=True, **kwargs) == 0
    assert domain.delivery_refund(rule="full_return", order_fully_returned=False, **kwargs) == 0
    assert domain.delivery_refund(rule="full_return", order_fully_returned=True, **kwargs) == D("120.00")
    assert domain.delivery_refund(rule="always", order_fully_returned=False, **kwargs) == D("120.00")
    assert (
        domain.delivery_refund(
            rule="always", order_fully_returned=True, delivery_amount=D("120.00"), already_refunded=True
        )
        == 0
    )


def test_return_shipping_is_free_when_the_shop_is_at_fault() -> None:
    terms = domain.PolicyTerms(
        country="SE",
        window_days=30,
        legal_minimum=14,
        return_shipping_paid_by="customer",
        return_shipping_fee="59",
    )
    assert domain.return_shipping_fee(terms=terms, reasons=["changed_mind"], method="post") == D("59")
    assert domain.return_shipping_fee(terms=terms, reasons=["changed_mind", "damaged"], method="post") == 0
    assert domain.return_shipping_fee(terms=terms, reasons=["refused"], method="carrier_return") == 0
    shop_pays = domain.PolicyTerms(country="SE", window_days=30, legal_minimum=14)
    assert domain.return_shipping_fee(terms=shop_pays, reasons=["changed_mind"], method="post") == 0


def test_a_refund_never_exceeds_what_the_payments_hold_and_never_goes_negative() -> None:
    quote = domain.refund_quote(
        currency="UAH", goods=D("300"), delivery=D("120"), fee=D("50"), deduction=D("0"), cap=D("200")
    )
    assert quote.due == D("200.00")
    small = domain.refund_quote(
        currency="UAH", goods=D("20"), delivery=D("0"), fee=D("50"), deduction=D("0"), cap=D("99")
    )
    assert small.due == 0


def test_an_exchange_splits_the_value() -> None:
    assert domain.exchange_split(value=D("220"), replacement_total=D("220")) == domain.ExchangeSplit(
        D("220"), D("0"), D("0")
    )
    assert domain.exchange_split(value=D("220"), replacement_total=D("150")) == domain.ExchangeSplit(
        D("150"), D("70"), D("0")
    )
    assert domain.exchange_split(value=D("100"), replacement_total=D("150")) == domain.ExchangeSplit(
        D("100"), D("0"), D("50")
    )


def test_the_refund_is_due_within_7_to_14_days() -> None:
    received = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert domain.refund_due_at(received, 10) == received + timedelta(days=10)
    assert domain.refund_due_at(received, 30) == received + timedelta(days=14)
    assert domain.refund_due_at(received, 1) == received + timedelta(days=7)
    due = received + timedelta(days=14)
    assert domain.refund_overdue(due_at=due, now=due + timedelta(seconds=1), refunded=False)
    assert not domain.refund_overdue(due_at=due, now=due + timedelta(days=1), refunded=True)


def test_iban_is_validated_and_compacted() -> None:
    assert domain.clean_iban("se45 5000 0000 0583 9825 7466") == "SE4550000000058398257466"
    with pytest.raises(ValueError):
        domain.clean_iban("SE45 5000 0000 0583 9825 7467")


def test_the_iban_examples_shown_to_customers_are_valid() -> None:
    for country, example in domain.IBAN_EXAMPLES.items():
        assert domain.clean_iban(example).startswith(country)
    assert domain.iban_example("se") == domain.IBAN_EXAMPLES["SE"]
    assert domain.masked_iban("SE4550000000058398257466") == "SE…7466"
