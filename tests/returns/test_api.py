"""The returns API: opening a return with an Idempotency-Key, errors as {code, message, details}, the
staff actions along the statuses, refunds, policies with the legal minimum, the analytics feed, roles."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderloop.inventory.selectors import ledger_mismatches
from orderloop.returns.models import ReturnRequest

pytestmark = pytest.mark.django_db(transaction=True)


def _post(client: Any, path: str, body: Any = None, **headers: str) -> Any:
    return client.post(path, data=json.dumps(body or {}), content_type="application/json", headers=headers)


def test_open_a_return_with_an_idempotency_key_and_walk_it_to_the_refund(
    api_client: Any, delivered: Any
) -> None:
    order = delivered(("TEE-S", 2), method="bank_transfer")
    support = api_client("Support")
    body = {
        "order": order.number,
        "lines": [{"sku": "TEE-S", "quantity": 1, "reason": "wrong_size"}],
        "method": "post",
    }
    first = _post(support, "/api/v1/returns", body, **{"Idempotency-Key": "ret-1"})
    assert first.status_code == 201, first.content
    again = _post(support, "/api/v1/returns", body, **{"Idempotency-Key": "ret-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert ReturnRequest.objects.count() == 1
    reused = _post(support, "/api/v1/returns", {**body, "method": "drop_off"}, **{"Idempotency-Key": "ret-1"})
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")

    data = first.json()
    number = data["number"]
    assert data["status"] == "approved" and data["tracking_ref"] == number and data["label_url"]
    assert data["events"][0]["kind"] == "opened"

    warehouse = api_client("Warehouse")
    assert _post(warehouse, "/api/v1/returns/scan", {"code": number}).json()["status"] == "received"
    line_id = data["lines"][0]["id"]
    inspected = _post(
        warehouse,
        f"/api/v1/returns/{number}/inspect",
        {"items": [{"line_id": line_id, "quantity": 1, "grade": "as_new"}]},
    )
    assert inspected.status_code == 200, inspected.content
    assert inspected.json()["lines"][0]["inspections"][0]["disposition"] == "restock"
    # The warehouse may not refund.
    assert _post(warehouse, f"/api/v1/returns/{number}/refund", {}).status_code == 403

    manager = api_client("Manager")
    quote = manager.get(f"/api/v1/returns/{number}/quote").json()
    assert quote["due"] == {"amount": "100.00", "currency": "UAH"}
    missing_bank = _post(manager, f"/api/v1/returns/{number}/refund", {})
    assert missing_bank.status_code == 422 and missing_bank.json()["code"] == "bank_details_required"
    refund = _post(
        manager,
        f"/api/v1/returns/{number}/refund",
        {"bank_iban": "SE4550000000058398257466", "bank_holder": "Olena"},
        **{"Idempotency-Key": "refund-1"},
    )
    assert refund.status_code == 201, refund.content
    out = refund.json()
    # Not "refunded" while the transfer awaits confirmation.
    assert out["status"] == "refund_pending" and out["refund"]["amount"] == "100.00" and out["credit_note"]
    assert out["refunds"][0]["status"] == "pending" and out["allowed_next"] == ["refunded"]
    assert manager.get(out["credit_note_url"]).content.startswith(b"%PDF")
    waiting = manager.get("/api/v1/returns?status=refund_pending").json()["items"]
    assert [(r["number"], r["status"]) for r in waiting] == [(number, "refund_pending")]
    confirmed = _post(manager, f"/api/v1/returns/{number}/bank-refund-confirm", {"reference": "OUT-1"})
    assert confirmed.json()["refunds"][0]["status"] == "succeeded"
    assert confirmed.json()["status"] == "refunded"
    assert ledger_mismatches() == []


def test_the_iban_comes_with_the_request_and_staff_can_correct_it(api_client: Any, delivered: Any) -> None:
    order = delivered(("TEE-S", 2))  # cash on delivery
    support = api_client("Support")
    body = {
        "order": order.number,
        "lines": [{"sku": "TEE-S", "quantity": 1, "reason": "wrong_size"}],
        "method": "post",
        "bank_iban": "UA21 3223 1300 0002 6007 2335 6600 2",  # one digit wrong
        "bank_holder": "Olena Shevchenko",
    }
    invalid = _post(support, "/api/v1/returns", body)
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "bank_details_invalid" and "bank_iban" in invalid.json()["details"]
    assert not ReturnRequest.objects.exists()
    opened = _post(support, "/api/v1/returns", {**body, "bank_iban": "UA213223130000026007233566001"})
    assert opened.status_code == 201, opened.content
    number = opened.json()["number"]
    assert opened.json()["bank_iban"] == "UA213223130000026007233566001"

    manager = api_client("Manager")
    path = f"/api/v1/returns/{number}/bank-details"
    assert (
        _post(support, path, {"bank_iban": "SE4550000000058398257466", "bank_holder": "O"}).status_code == 403
    )
    wrong = _post(manager, path, {"bank_iban": "SE00 1234", "bank_holder": "Olena"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "bank_details_invalid")
    fixed = _post(manager, path, {"bank_iban": "se45 5000 0000 0583 9825 7466", "bank_holder": "Olena S."})
    assert fixed.status_code == 200 and fixed.json()["bank_iban"] == "SE4550000000058398257466"


def test_the_schema_publishes_every_return_status(api_client: Any) -> None:
    schema = api_client("Manager").get("/api/v1/openapi.json").json()
    shapes = schema["components"]["schemas"]
    for shape in ("ReturnOut", "ReturnSummaryOut"):
        assert "refund_pending" in shapes[shape]["properties"]["status"]["enum"]


def test_errors_have_one_shape(api_client: Any, delivered: Any) -> None:
    order = delivered(("TEE-S", 1), days_ago=40)
    client = api_client("Manager")
    closed = _post(
        client,
        "/api/v1/returns",
        {
            "order": order.number,
            "lines": [{"sku": "TEE-S", "quantity": 1, "reason": "other"}],
            "method": "post",
        },
    )
    assert closed.status_code == 409
    assert (
        set(closed.json()) == {"code", "message", "details"}
        and closed.json()["code"] == "return_window_closed"
    )
    wrong_sku = _post(
        client,
        "/api/v1/returns",
        {
            "order": order.number,
            "lines": [{"sku": "NOPE", "quantity": 1, "reason": "other"}],
            "method": "post",
        },
    )
    assert wrong_sku.status_code == 422 and "lines.0.sku" in wrong_sku.json()["details"]
    assert client.get("/api/v1/returns/R0-9").json()["code"] == "return_not_found"
    assert _post(client, "/api/v1/returns", {"order": order.number}).status_code == 422
    assert client.get("/api/v1/returns?status=lost").status_code == 422


def test_policies_refuse_a_window_below_the_legal_minimum(api_client: Any) -> None:
    client = api_client("Manager")
    low = client.put(
        "/api/v1/returns/policies/SE", data=json.dumps({"window_days": 7}), content_type="application/json"
    )
    assert low.status_code == 422 and "window_days" in low.json()["details"]
    ok = client.put(
        "/api/v1/returns/policies/SE",
        data=json.dumps(
            {"window_days": 30, "return_shipping_paid_by": "customer", "return_shipping_fee": "59.00"}
        ),
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["window_days"] == 30 and ok.json()["legal_minimum"] == 14
    assert (
        api_client("Support")
        .put(
            "/api/v1/returns/policies/SE",
            data=json.dumps({"window_days": 30}),
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_the_analytics_feed_gives_rate_and_reasons(api_client: Any, delivered: Any) -> None:
    from orderloop.returns import services

    order = delivered(("TEE-S", 4))
    line = order.lines.get()
    services.return_open(
        order_id=order.pk,
        lines=[services.LineInput(order_line_id=line.pk, quantity=1, reason="wrong_size")],
        method="post",
        channel="portal",
        actor=None,
    )
    analyst = api_client("Analyst")
    rows = analyst.get("/api/v1/returns/analytics?group_by=variant").json()
    (tee,) = [row for row in rows if row["label"] == "TEE-S"]
    assert (tee["units_sold"], tee["units_returned"], tee["rate"], tee["reasons"]) == (
        4,
        1,
        "0.2500",
        {"wrong_size": 1},
    )
    assert analyst.get("/api/v1/returns/analytics?group_by=colour").status_code == 422
    assert api_client("Courier").get("/api/v1/returns/analytics").status_code == 403
