"""Who may do what in shipping: the role × permission matrix, and the courier walked through pages and
API with real deliveries — today's own deliveries, mark delivered / failed with a reason, record cash,
and nothing else (no desk, no labels, no handover, no other courier's parcels, no orders, no stock)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orderloop.core import roles
from orderloop.core.services import api_token_create
from orderloop.shipping import services
from orderloop.shipping.models import Shipment

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN, MANAGER, WAREHOUSE, COURIER, SUPPORT, ANALYST = (
    roles.ADMIN,
    roles.MANAGER,
    roles.WAREHOUSE,
    roles.COURIER,
    roles.SUPPORT,
    roles.ANALYST,
)
EVERYONE = [ADMIN, MANAGER, WAREHOUSE, COURIER, SUPPORT, ANALYST]

MATRIX: list[tuple[str, set[str]]] = [
    ("shipping.view_shipment", {ADMIN, MANAGER, WAREHOUSE, SUPPORT, ANALYST}),
    ("shipping.manage_shipments", {ADMIN, MANAGER, WAREHOUSE}),
    ("shipping.deliver_shipments", {ADMIN, COURIER}),
    ("shipping.reconcile_cod", {ADMIN, MANAGER}),
    ("shipping.import_pickup_points", {ADMIN, MANAGER}),
    ("payments.record_cod", {ADMIN, MANAGER, COURIER}),
]


@pytest.mark.parametrize("role", EVERYONE)
def test_shipping_permission_matrix(make_staff: Any, role: str) -> None:
    user = make_staff(role, username=f"m-{role.lower()}")
    wrong = [
        f"{role} {'should' if role in allowed else 'must not'} have {perm}"
        for perm, allowed in MATRIX
        if user.has_perm(perm) is not (role in allowed)
    ]
    assert not wrong


def test_the_courier_has_exactly_delivery_and_cash_rights(make_staff: Any) -> None:
    perms = make_staff(COURIER).get_all_permissions()
    assert perms == {"shipping.deliver_shipments", "payments.record_cod"}


@pytest.fixture
def route(packed: Any, make_staff: Any) -> dict[str, Any]:
    """Two handed-over parcels of the own couriers: one for kostya, one for olha; one labelled parcel
    not yet handed over."""
    kostya = make_staff(COURIER, username="kostya", password="courier-pass-1")
    olha = make_staff(COURIER, username="olha", password="courier-pass-2")
    found: dict[str, Any] = {"kostya": kostya, "olha": olha}
    for name, lines in (("mine", (("TEE", 1),)), ("theirs", (("SOCKS", 1),)), ("waiting", (("JEANS", 1),))):
        order, parcel = packed(*lines)
        shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
        if name != "waiting":
            services.shipment_hand_over(
                shipment_id=shipment.pk, actor=None, courier_username="kostya" if name == "mine" else "olha"
            )
        found[name] = Shipment.objects.get(pk=shipment.pk)
        found[f"{name}_order"] = order
    return found


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user).plaintext}")


def test_courier_pages(route: dict[str, Any]) -> None:
    client = _client(route["kostya"])
    page = client.get("/shipping/courier/")
    assert page.status_code == 200
    text = page.content.decode()
    assert route["mine_order"].customer_name in text and route["mine_order"].customer_phone in text
    assert route["theirs_order"].number not in text  # olha's parcel is not on kostya's list
    assert f"Collect {route['mine'].cod_amount}" in text
    # Nothing else of the back office.
    for url in (
        "/shipping/",
        f"/shipping/shipments/{route['mine'].pk}/",
        "/shipping/cod/",
        "/orders/",
        "/stock/",
        "/fulfillment/",
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        "/shipping/labels/",
        "/shipping/hand-over/",
        f"/shipping/shipments/{route['waiting'].pk}/cancel/",
    ):
        assert (
            client.post(url, {"code": route["waiting"].tracking_number, "parcel": "1"}).status_code == 403
        ), url
    # Another courier's parcel cannot be closed.
    client.post(
        f"/shipping/courier/{route['theirs'].pk}/delivered/",
        {"cash_collected": str(route["theirs"].cod_amount)},
    )
    assert Shipment.objects.get(pk=route["theirs"].pk).status == "handed_over"
    # Their own: failed with a reason, then delivered with the cash.
    client.post(f"/shipping/courier/{route['mine'].pk}/failed/", {"reason": "not_home"})
    assert Shipment.objects.get(pk=route["mine"].pk).status == "failed_attempt"
    response = client.post(
        f"/shipping/courier/{route['mine'].pk}/delivered/", {"cash_collected": str(route["mine"].cod_amount)}
    )
    assert response.status_code == 302
    assert Shipment.objects.get(pk=route["mine"].pk).status == "delivered"


@pytest.mark.parametrize(
    ("method", "path", "body", "expected", "code"),
    [
        ("get", "/api/v1/courier/deliveries", None, 200, None),
        ("get", "/api/v1/shipments", None, 403, "permission_denied"),
        ("get", "/api/v1/shipments/{mine}", None, 403, "permission_denied"),
        ("post", "/api/v1/shipments", {"parcel": 1}, 403, "permission_denied"),
        ("post", "/api/v1/shipments/{waiting}/hand-over", {"courier": "kostya"}, 403, "permission_denied"),
        ("post", "/api/v1/shipments/{waiting}/cancel", {"reason": "x"}, 403, "permission_denied"),
        ("get", "/api/v1/cod/reconciliation", None, 403, "permission_denied"),
        ("get", "/api/v1/orders", None, 403, "permission_denied"),
        (
            "post",
            "/api/v1/shipments/{theirs}/delivered",
            {"cash_collected": "{theirs_cod}"},
            403,
            "not_your_delivery",
        ),
        ("post", "/api/v1/shipments/{theirs}/failed", {"reason": "not_home"}, 403, "not_your_delivery"),
        ("post", "/api/v1/shipments/{mine}/failed", {"reason": "bogus"}, 422, "validation_error"),
        ("post", "/api/v1/shipments/{mine}/delivered", {"cash_collected": "1.00"}, 422, "cash_amount_wrong"),
        ("post", "/api/v1/shipments/{mine}/delivered", {"cash_collected": "{mine_cod}"}, 200, None),
    ],
)
def test_courier_api_matrix(
    route: dict[str, Any], method: str, path: str, body: Any, expected: int, code: str | None
) -> None:
    values = {
        "mine": route["mine"].pk,
        "theirs": route["theirs"].pk,
        "waiting": route["waiting"].pk,
        "mine_cod": str(route["mine"].cod_amount),
        "theirs_cod": str(route["theirs"].cod_amount),
    }
    url = path.format(**values)
    client = _api(route["kostya"])
    if method == "get":
        response = client.get(url)
    else:
        payload = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in (body or {}).items()}
        response = client.post(url, payload, content_type="application/json")
    assert response.status_code == expected, response.content
    if code:
        assert response.json()["code"] == code
    if expected == 200 and "deliveries" in url:
        [delivery] = response.json()
        assert delivery["shipment"] == route["mine"].pk and delivery["cod_due"] == str(
            route["mine"].cod_amount
        )
