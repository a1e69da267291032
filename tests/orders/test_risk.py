"""Risk flags: the pure rules, order_place storing them, the review a flagged order needs before
picking, and the rules API (orders/api_rules.py, served here by a private API object)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI

from orderloop.api.main import api
from orderloop.core.api_auth import TokenAuth
from orderloop.core.errors import PermissionDeniedError
from orderloop.orders import risk, services
from orderloop.orders.api_rules import router as rules_router
from orderloop.orders.models import EventKind, Order, OrderEvent, OrderStatus
from orderloop.orders.risk import RiskFlag, RiskInput, RiskSettings

from .helpers import customer, place

# --- The rules, without a database --------------------------------------------------------------------

RULES = RiskSettings()


def data(**overrides: Any) -> RiskInput:
    values: dict[str, Any] = {
        "payment_kind": "card",
        "phone": "+380501234567",
        "ship_country": "UA",
        "currency": "UAH",
        "total": Decimal("500.00"),
        "basket": (("TEE", 1),),
        "earlier_orders": 3,
        "earlier_refused": 0,
        "recent_same_phone": (),
    }
    return RiskInput(**{**values, **overrides})


def codes(flags: list[RiskFlag]) -> list[str]:
    return [flag.code for flag in flags]


def test_an_ordinary_order_raises_no_flag():
    assert risk.evaluate(data(), RULES) == []


def test_cash_on_delivery_with_earlier_refusals():
    assert risk.cod_with_refusals(payment_kind="cod", earlier_refused=2, minimum=1) == RiskFlag(
        "cod_refused_before", {"refused": 2}
    )
    assert risk.cod_with_refusals(payment_kind="cod", earlier_refused=0, minimum=1) is None
    assert risk.cod_with_refusals(payment_kind="card", earlier_refused=5, minimum=1) is None
    assert risk.cod_with_refusals(payment_kind="cod", earlier_refused=1, minimum=2) is None
    assert codes(risk.evaluate(data(payment_kind="cod", earlier_refused=1), RULES)) == ["cod_refused_before"]


def test_phone_country_against_the_address():
    assert risk.phone_country_mismatch(phone="+46701234567", ship_country="UA") == RiskFlag(
        "phone_country_mismatch", {"phone_country": "SE", "ship_country": "UA"}
    )
    assert risk.phone_country_mismatch(phone="+380501234567", ship_country="ua") is None
    # Numbers of no country (international freephone) and unparsable numbers raise nothing.
    assert risk.phone_country_mismatch(phone="+80012345678", ship_country="UA") is None
    assert risk.phone_country_mismatch(phone="garbage", ship_country="UA") is None


def test_large_first_order_by_total_per_currency_or_by_line_quantity():
    thresholds = {"UAH": Decimal("20000"), "SEK": Decimal("5000")}
    flag = risk.large_first_order(
        earlier_orders=0,
        currency="UAH",
        total=Decimal("20000.01"),
        basket=(("TV", 1),),
        thresholds=thresholds,
        max_line_quantity=10,
    )
    assert flag == RiskFlag(
        "large_first_order", {"total": "20000.01", "threshold": "20000", "currency": "UAH"}
    )
    common = {"basket": (("TV", 1),), "thresholds": thresholds, "max_line_quantity": 10}
    assert risk.large_first_order(earlier_orders=0, currency="UAH", total=Decimal("20000"), **common) is None
    assert risk.large_first_order(earlier_orders=1, currency="UAH", total=Decimal("90000"), **common) is None
    # A currency without a threshold is judged by quantities only.
    assert risk.large_first_order(earlier_orders=0, currency="NOK", total=Decimal("1e6"), **common) is None
    by_quantity = risk.large_first_order(
        earlier_orders=0,
        currency="SEK",
        total=Decimal("10"),
        basket=(("PEN", 11), ("TEE", 2)),
        thresholds=thresholds,
        max_line_quantity=10,
    )
    assert by_quantity == RiskFlag("large_first_order", {"sku": "PEN", "quantity": 11, "limit": 10})


def test_duplicate_of_a_recent_order_compares_the_whole_basket():
    basket = risk.basket_of([("TEE", 1), ("CAP", 2), ("TEE", 1)])
    assert basket == (("CAP", 2), ("TEE", 2))
    same = risk.basket_of([("CAP", 2), ("TEE", 2)])
    assert risk.duplicate_order(basket=basket, recent=[("1001", same)]) == RiskFlag(
        "duplicate_order", {"numbers": ["1001"]}
    )
    other = risk.basket_of([("CAP", 2), ("TEE", 1)])
    assert risk.duplicate_order(basket=basket, recent=[("1001", other)]) is None
    assert risk.basket_key(basket) == risk.basket_key(same) != risk.basket_key(other)


def test_rules_can_be_switched_off_and_flags_come_in_a_fixed_order():
    everything = data(
        payment_kind="cod",
        earlier_refused=1,
        phone="+46701234567",
        earlier_orders=0,
        total=Decimal("50000"),
        recent_same_phone=[("1001", (("TEE", 1),))],
    )
    assert codes(risk.evaluate(everything, RULES)) == [
        "cod_refused_before",
        "phone_country_mismatch",
        "large_first_order",
        "duplicate_order",
    ]
    fewer = RiskSettings(disabled=frozenset({"phone_country_mismatch", "duplicate_order"}))
    assert codes(risk.evaluate(everything, fewer)) == ["cod_refused_before", "large_first_order"]


def test_picking_is_blocked_only_for_flagged_unreviewed_orders():
    flags = [{"code": "duplicate_order", "params": {}}]
    assert risk.blocks_transition(to="picking", flags=flags, reviewed_at=None)
    assert not risk.blocks_transition(to="picking", flags=flags, reviewed_at=timezone.now())
    assert not risk.blocks_transition(to="picking", flags=[], reviewed_at=None)
    assert not risk.blocks_transition(to="cancelled", flags=flags, reviewed_at=None)


def test_messages_are_rendered_from_code_and_params():
    assert risk.flag_message({"code": "cod_refused_before", "params": {"refused": 2}}) == (
        "Cash on delivery, and 2 earlier parcels of this customer were refused."
    )
    assert "SE" in risk.flag_message(
        {"code": "phone_country_mismatch", "params": {"phone_country": "SE", "ship_country": "UA"}}
    )
    assert "1001, 1002" in risk.flag_message(
        {"code": "duplicate_order", "params": {"numbers": ["1001", "1002"]}}
    )
    assert "PEN" in risk.flag_message(
        {"code": "large_first_order", "params": {"sku": "PEN", "quantity": 11, "limit": 10}}
    )
    assert risk.flag_message({"code": "something_new", "params": {}}) == "something_new"


def test_settings_are_read_with_defaults():
    with override_settings(ORDERLOOP={}):
        defaults = risk.risk_settings()
    assert defaults.large_first_order_totals["UAH"] == Decimal("20000")
    assert defaults.duplicate_window == timedelta(hours=24)
    custom = {
        **settings.ORDERLOOP,
        "RISK_LARGE_FIRST_ORDER_TOTALS": {"eur": 300},
        "RISK_DUPLICATE_WINDOW_HOURS": 2,
        "RISK_RULES_DISABLED": ["duplicate_order"],
    }
    with override_settings(ORDERLOOP=custom):
        configured = risk.risk_settings()
    assert configured.large_first_order_totals == {"EUR": Decimal("300")}
    assert configured.duplicate_window == timedelta(hours=2)
    assert configured.disabled == frozenset({"duplicate_order"})


# --- Placing orders ------------------------------------------------------------------------------------


@pytest.fixture
def shop(methods: None, stocked: Any) -> None:
    stocked("TEE", 100)
    stocked("CAP", 100)
    stocked("TV", 10, price="25000.00")


def flag_codes(order: Order) -> list[str]:
    order.refresh_from_db()
    return [flag["code"] for flag in order.risk_flags]


@pytest.mark.usefixtures("shop")
def test_an_ordinary_order_is_placed_without_flags():
    order = place(("TEE", 1))
    assert order.risk_flags == []
    assert not OrderEvent.objects.filter(order=order, kind=EventKind.RISK_FLAGGED).exists()


@pytest.mark.usefixtures("shop")
def test_cash_on_delivery_after_a_refused_parcel_of_the_same_email():
    earlier = place(("TEE", 1))
    Order.objects.filter(pk=earlier.pk).update(status=OrderStatus.REFUSED)  # the parcel came back
    other_phone = customer(phone="067 765 43 21")
    flagged = place(("CAP", 1), customer=other_phone)
    assert flagged.risk_flags == [{"code": "cod_refused_before", "params": {"refused": 1}}]
    by_card = place(("CAP", 2), customer=other_phone, payment_method_code="card")
    assert flag_codes(by_card) == []


@pytest.mark.usefixtures("shop")
def test_a_foreign_phone_for_a_ukrainian_address():
    order = place(("TEE", 1), customer=customer(phone="+46 70 123 45 67"))
    assert order.customer_phone == "+46701234567"
    assert order.risk_flags == [
        {"code": "phone_country_mismatch", "params": {"phone_country": "SE", "ship_country": "UA"}}
    ]


@pytest.mark.usefixtures("shop")
def test_a_large_first_order_but_not_a_large_repeat_order():
    first = place(("TV", 1))
    assert first.risk_flags == [
        {
            "code": "large_first_order",
            "params": {"total": "25120.00", "threshold": "20000", "currency": "UAH"},
        }
    ]
    assert flag_codes(place(("TV", 2))) == []  # the same customer again
    many = place(("CAP", 11), customer=customer(phone="067 111 22 33", email="new@example.com"))
    assert many.risk_flags == [
        {"code": "large_first_order", "params": {"sku": "CAP", "quantity": 11, "limit": 10}}
    ]


@pytest.mark.usefixtures("shop")
def test_a_customer_whose_only_order_was_cancelled_is_still_a_first_buyer():
    cancelled = place(("TEE", 1))
    services.order_cancel(order_id=cancelled.pk, actor=None, reason="changed mind")
    assert flag_codes(place(("TV", 1))) == ["large_first_order"]


@pytest.mark.usefixtures("shop")
def test_duplicate_of_a_recent_order_with_the_same_items():
    first = place(("TEE", 1), ("CAP", 2))
    second = place(("CAP", 2), ("TEE", 1))  # same items, other line order
    assert first.risk_flags == []
    assert second.risk_flags == [{"code": "duplicate_order", "params": {"numbers": [first.number]}}]
    assert flag_codes(place(("TEE", 1), ("CAP", 3))) == []  # other quantities
    # A cancelled order does not count; one older than the window neither.
    services.order_cancel(order_id=second.pk, actor=None, reason="duplicate")
    Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert flag_codes(place(("TEE", 1), ("CAP", 2))) == []


@pytest.mark.usefixtures("shop")
def test_flags_can_be_switched_off_in_settings():
    place(("TEE", 1))
    off = {**settings.ORDERLOOP, "RISK_RULES_DISABLED": ["duplicate_order"]}
    with override_settings(ORDERLOOP=off):
        assert flag_codes(place(("TEE", 1))) == []


@pytest.mark.usefixtures("shop")
def test_each_raised_flag_leaves_an_event():
    order = place(("TV", 1), customer=customer(phone="+46 70 123 45 67"))
    events = OrderEvent.objects.filter(order=order, kind=EventKind.RISK_FLAGGED).order_by("id")
    assert [(e.reason, e.data["code"]) for e in events] == [
        ("phone_country_mismatch", "phone_country_mismatch"),
        ("large_first_order", "large_first_order"),
    ]


# --- Review before the warehouse ----------------------------------------------------------------------


@pytest.fixture
def flagged(shop: None) -> Order:
    place(("TEE", 1))
    order = place(("TEE", 1))
    assert order.risk_flags
    return services.order_confirm(order_id=order.pk, actor=None)


def test_a_flagged_order_cannot_go_to_picking_until_a_manager_reviews_it(flagged, make_staff):
    with pytest.raises(risk.RiskReviewRequired) as excinfo:
        services.order_transition(order_id=flagged.pk, to=OrderStatus.PICKING, actor=None)
    assert excinfo.value.code == "risk_review_required" and excinfo.value.http_status == 409
    assert excinfo.value.details["flags"] == ["duplicate_order"]

    with pytest.raises(PermissionDeniedError):
        services.order_review_risk(order_id=flagged.pk, actor=make_staff("Support"), note="looks fine")
    with pytest.raises(PermissionDeniedError):
        services.order_review_risk(order_id=flagged.pk, actor=make_staff("Warehouse"), note="")
    with pytest.raises(PermissionDeniedError):
        services.order_review_risk(order_id=flagged.pk, actor=None, note="")

    manager = make_staff("Manager")
    reviewed = services.order_review_risk(order_id=flagged.pk, actor=manager, note="Called: two gifts")
    assert reviewed.risk_reviewed_by == manager and reviewed.risk_reviewed_at is not None
    event = OrderEvent.objects.filter(order=flagged, kind=EventKind.RISK_REVIEWED).get()
    assert (event.actor, event.note, event.data) == (
        manager,
        "Called: two gifts",
        {"flags": ["duplicate_order"]},
    )
    with pytest.raises(risk.RiskAlreadyReviewed):
        services.order_review_risk(order_id=flagged.pk, actor=manager)

    moved = services.order_transition(order_id=flagged.pk, to=OrderStatus.PICKING, actor=manager)
    assert moved.status == OrderStatus.PICKING


@pytest.mark.usefixtures("shop")
def test_an_unflagged_order_goes_to_picking_and_has_nothing_to_review(make_staff):
    order = services.order_confirm(order_id=place(("TEE", 1)).pk, actor=None)
    with pytest.raises(risk.RiskNotFlagged):
        services.order_review_risk(order_id=order.pk, actor=make_staff("Manager"))
    assert (
        services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=None).status == "picking"
    )


def test_a_flagged_order_can_still_be_cancelled(flagged):
    assert services.order_cancel(order_id=flagged.pk, actor=None, reason="fraud").status == "cancelled"


# --- API (the router is mounted on a private API object until api/main.py mounts it) ----------------

rules_api = NinjaAPI(urls_namespace="api-v1-rules-tests", auth=TokenAuth(), docs_url=None)
rules_api._exception_handlers = dict(api._exception_handlers)
rules_api.add_router("/orders", rules_router)
urlpatterns = [path("api/v1/", rules_api.urls)]


@pytest.mark.urls(__name__)
def test_api_shows_flags_and_a_manager_reviews_them(flagged, api_client):
    support = api_client("Support")
    shown = support.get(f"/api/v1/orders/{flagged.number}/risk")
    assert shown.status_code == 200, shown.content
    body = shown.json()
    assert body["risk_review_required"] is True
    assert body["risk_flags"][0]["code"] == "duplicate_order"
    assert body["risk_flags"][0]["message"].startswith("The same phone ordered the same items recently")

    refused = support.post(
        f"/api/v1/orders/{flagged.number}/review-risk",
        json.dumps({"note": "ok"}),
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")

    manager = api_client("Manager")
    reviewed = manager.post(
        f"/api/v1/orders/{flagged.number}/review-risk",
        json.dumps({"note": "ok"}),
        content_type="application/json",
    )
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["risk_review_required"] is False
    assert reviewed.json()["risk_reviewed_by"] == "api-manager"
    again = manager.post(
        f"/api/v1/orders/{flagged.number}/review-risk", "{}", content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "risk_already_reviewed")
    missing = manager.get("/api/v1/orders/99999/risk")
    assert missing.status_code == 404
