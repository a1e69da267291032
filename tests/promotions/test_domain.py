"""Pure coupon and gift rules: what a coupon takes off, and when it cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from orderloop.core.money import Money
from orderloop.promotions import domain
from orderloop.promotions.domain import CouponTerms

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def uah(amount: str) -> Money:
    return Money.of(amount, "UAH")


@pytest.mark.parametrize(
    ("kind", "value", "subtotal", "discount"),
    [
        ("percent", D("10"), "1299.90", "129.99"),
        ("percent", D("15"), "99.99", "15.00"),  # 14.9985 rounds half up to 15.00
        ("percent", D("100"), "250.00", "250.00"),
        ("fixed", D("200"), "1500.00", "200.00"),
        ("fixed", D("200"), "150.00", "150.00"),  # never more than the goods
    ],
)
def test_discount(kind, value, subtotal, discount):
    assert domain.discount_for(kind=kind, value=value, subtotal=uah(subtotal)) == uah(discount)


def test_yen_percentages_round_to_whole_yen():
    assert domain.discount_for(kind="percent", value=D("10"), subtotal=Money.of("1255", "JPY")) == Money.of(
        "126", "JPY"
    )


@pytest.mark.parametrize(
    ("terms", "subtotal", "currency", "customer_uses", "problem"),
    [
        (CouponTerms(kind="percent", value=D(10)), "100", "UAH", 0, None),
        (CouponTerms(kind="percent", value=D(10), is_active=False), "100", "UAH", 0, "inactive"),
        (CouponTerms(kind="percent", value=D(10), valid_from=datetime(2026, 12, 2, tzinfo=UTC)), "100", "UAH", 0, "not_started"),
        (CouponTerms(kind="percent", value=D(10), valid_until=NOW), "100", "UAH", 0, "expired"),
        (CouponTerms(kind="percent", value=D(10), max_uses=5, uses=5), "100", "UAH", 0, "used_up"),
        (CouponTerms(kind="percent", value=D(10), max_uses=5, uses=4), "100", "UAH", 0, None),
        (CouponTerms(kind="percent", value=D(10), max_uses_per_customer=1), "100", "UAH", 1, "customer_limit"),
        (CouponTerms(kind="fixed", value=D(200), currency="UAH"), "100", "SEK", 0, "currency"),
        (CouponTerms(kind="fixed", value=D(200), currency="UAH", min_subtotal=D(1500)), "1499.99", "UAH", 0, "min_subtotal"),
        (CouponTerms(kind="fixed", value=D(200), currency="UAH", min_subtotal=D(1500)), "1500", "UAH", 0, None),
    ],
)  # fmt: skip
def test_coupon_problems(terms, subtotal, currency, customer_uses, problem):
    found = domain.coupon_problem(
        terms, subtotal=D(subtotal), currency=currency, now=NOW, customer_uses=customer_uses
    )
    assert found == problem


def test_codes_are_case_and_space_insensitive():
    assert domain.normalize_code("  welcome 10 ") == "WELCOME10"


def test_gift_threshold_per_currency():
    thresholds = {"UAH": "3000", "SEK": "800"}
    assert domain.gift_applies(thresholds=thresholds, goods_total=uah("3000.00"))
    assert not domain.gift_applies(thresholds=thresholds, goods_total=uah("2999.99"))
    assert not domain.gift_applies(thresholds=thresholds, goods_total=Money.of("5000", "EUR"))
    assert not domain.gift_applies(thresholds=None, goods_total=uah("9999"))
