"""Roles (DESIGN.md §6) as groups: `setup_roles` creates them, and a matrix walks role-by-action."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from orderloop.core import roles
from orderloop.core.services import api_token_create

pytestmark = pytest.mark.django_db

ADMIN, MANAGER, WAREHOUSE, COURIER, SUPPORT, ANALYST = (
    roles.ADMIN,
    roles.MANAGER,
    roles.WAREHOUSE,
    roles.COURIER,
    roles.SUPPORT,
    roles.ANALYST,
)
EVERYONE = [ADMIN, MANAGER, WAREHOUSE, COURIER, SUPPORT, ANALYST]


def test_setup_roles_creates_the_six_groups_and_is_repeatable() -> None:
    out = StringIO()
    call_command("setup_roles", stdout=out)
    assert set(Group.objects.values_list("name", flat=True)) == set(EVERYONE)
    first = {
        group.name: set(group.permissions.values_list("codename", flat=True)) for group in Group.objects.all()
    }
    call_command("setup_roles", stdout=StringIO())
    again = {
        group.name: set(group.permissions.values_list("codename", flat=True)) for group in Group.objects.all()
    }
    assert first == again
    for role in EVERYONE:
        assert f"{role}:" in out.getvalue()


def test_setup_roles_takes_away_a_permission_that_was_added_by_hand() -> None:
    call_command("setup_roles", stdout=StringIO())
    courier = Group.objects.get(name=COURIER)
    admin_group = Group.objects.get(name=ADMIN)
    courier.permissions.add(admin_group.permissions.get(codename="adjust_stock"))
    call_command("setup_roles", stdout=StringIO())
    assert not courier.permissions.filter(codename="adjust_stock").exists()


# (permission, roles that have it). Every other role must NOT have it.
MATRIX: list[tuple[str, set[str]]] = [
    # Catalogue: everyone but the courier reads it; only managers (and admins) change it.
    ("catalog.view_product", {ADMIN, MANAGER, WAREHOUSE, SUPPORT, ANALYST}),
    ("catalog.view_variant", {ADMIN, MANAGER, WAREHOUSE, SUPPORT, ANALYST}),
    ("catalog.add_product", {ADMIN, MANAGER}),
    ("catalog.change_product", {ADMIN, MANAGER}),
    ("catalog.change_variant", {ADMIN, MANAGER}),
    ("catalog.delete_product", {ADMIN, MANAGER}),
    ("catalog.import_catalog", {ADMIN, MANAGER}),
    # Stock: the warehouse moves it; managers, support and analysts only look.
    ("inventory.view_stocklevel", {ADMIN, MANAGER, WAREHOUSE, SUPPORT, ANALYST}),
    ("inventory.view_stockmovement", {ADMIN, MANAGER, WAREHOUSE, SUPPORT, ANALYST}),
    ("inventory.adjust_stock", {ADMIN, WAREHOUSE}),
    ("inventory.count_stock", {ADMIN, WAREHOUSE}),
    ("inventory.change_binlocation", {ADMIN, WAREHOUSE}),
    # Setting up warehouses and handing out other people's API tokens are admin jobs.
    ("inventory.add_warehouse", {ADMIN}),
    ("inventory.change_warehouse", {ADMIN}),
    ("core.manage_api_tokens", {ADMIN}),
    ("auth.add_user", {ADMIN}),
    ("auth.change_group", {ADMIN}),
    # Returns: managers handle them; support opens and reads; the warehouse receives and inspects;
    # analysts read the analytics feed.
    ("returns.view_returnrequest", {ADMIN, MANAGER, WAREHOUSE, SUPPORT, ANALYST}),
    ("returns.add_returnrequest", {ADMIN, MANAGER, SUPPORT}),
    ("returns.approve_return", {ADMIN, MANAGER}),
    ("returns.receive_return", {ADMIN, MANAGER, WAREHOUSE}),
    ("returns.inspect_return", {ADMIN, MANAGER, WAREHOUSE}),
    ("returns.refund_return", {ADMIN, MANAGER}),
    ("returns.change_returnpolicy", {ADMIN, MANAGER}),
    ("returns.view_creditnote", {ADMIN, MANAGER, SUPPORT, ANALYST}),
    # Cash on delivery: the analyst reads the books; recording cash handed in is the manager's.
    ("shipping.view_codcollection", {ADMIN, MANAGER, ANALYST}),
    ("shipping.view_codhandover", {ADMIN, MANAGER, ANALYST}),
    ("shipping.reconcile_cod", {ADMIN, MANAGER}),
]


@pytest.mark.parametrize("role", EVERYONE)
def test_role_permission_matrix(staff: Callable[[str], User], role: str) -> None:
    user = staff(role)
    wrong = [
        f"{role} {'should' if role in allowed else 'must not'} have {perm}"
        for perm, allowed in MATRIX
        if user.has_perm(perm) is not (role in allowed)
    ]
    assert not wrong


@pytest.mark.parametrize("role", [SUPPORT, ANALYST])
def test_support_and_analyst_only_read_catalog_and_stock(staff: Callable[[str], User], role: str) -> None:
    user = staff(role)
    for perm in user.get_all_permissions():
        app_label, codename = perm.split(".", 1)
        if app_label in {"catalog", "inventory", "auth", "core"}:
            assert codename.startswith("view_"), f"{role} may {perm}"


def test_analyst_reads_everything_it_has_and_writes_nothing(staff: Callable[[str], User]) -> None:
    perms = staff(ANALYST).get_all_permissions()
    assert perms, "the analyst reads reports over catalog and stock"
    assert all(perm.split(".", 1)[1].startswith("view_") for perm in perms), perms


def test_courier_has_no_catalog_or_stock_rights(staff: Callable[[str], User]) -> None:
    perms = staff(COURIER).get_all_permissions()
    assert not [perm for perm in perms if perm.split(".")[0] in {"catalog", "inventory", "auth", "core"}]


def test_admin_is_a_superuser_with_every_permission(staff: Callable[[str], User]) -> None:
    user = staff(ADMIN)
    assert user.is_superuser
    assert Group.objects.get(name=ADMIN).permissions.count() > 50


@pytest.mark.parametrize(
    ("role", "method", "expected"),
    [
        (WAREHOUSE, "get", 200),
        (ANALYST, "get", 200),
        (COURIER, "get", 403),
        (ANALYST, "post", 403),
        (WAREHOUSE, "post", 403),
        (ADMIN, "post", 201),
    ],
)
def test_the_api_enforces_the_matrix(
    staff: Callable[[str], User], role: str, method: str, expected: int
) -> None:
    user = staff(role)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user).plaintext}")
    if method == "get":
        response = client.get("/api/v1/warehouses")
    else:
        response = client.post(
            "/api/v1/warehouses",
            {"code": "odesa", "name": "Odesa south", "country": "UA"},
            content_type="application/json",
        )
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["code"] == "permission_denied"


def test_normalize_role_accepts_any_case_and_refuses_unknown_names() -> None:
    assert roles.normalize_role(" warehouse ") == WAREHOUSE
    assert roles.normalize_role("ADMIN") == ADMIN
    assert roles.normalize_role("root") is None
    assert roles.normalize_role("") is None


def test_setup_roles_is_quiet_at_verbosity_zero() -> None:
    out = StringIO()
    call_command("setup_roles", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert Group.objects.count() == len(EVERYONE)
