"""Purchasing's rows of the role × permission matrix: the Manager buys, the Warehouse receives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from orderloop.core import roles

pytestmark = pytest.mark.django_db

ADMIN, MANAGER, WAREHOUSE, COURIER, SUPPORT, ANALYST = (
    roles.ADMIN,
    roles.MANAGER,
    roles.WAREHOUSE,
    roles.COURIER,
    roles.SUPPORT,
    roles.ANALYST,
)

MATRIX: list[tuple[str, set[str]]] = [
    ("purchasing.view_supplier", {ADMIN, MANAGER, WAREHOUSE, ANALYST}),
    ("purchasing.add_supplier", {ADMIN, MANAGER}),
    ("purchasing.change_supplieritem", {ADMIN, MANAGER}),
    ("purchasing.change_reorderrule", {ADMIN, MANAGER}),
    ("purchasing.view_reorderrule", {ADMIN, MANAGER, ANALYST}),
    ("purchasing.view_purchaseorder", {ADMIN, MANAGER, WAREHOUSE, ANALYST}),
    ("purchasing.add_purchaseorder", {ADMIN, MANAGER}),
    ("purchasing.send_purchaseorder", {ADMIN, MANAGER}),
    ("purchasing.change_purchaseorder", {ADMIN, MANAGER}),
    ("purchasing.receive_purchaseorder", {ADMIN, WAREHOUSE}),
]


@pytest.mark.parametrize("role", [ADMIN, MANAGER, WAREHOUSE, COURIER, SUPPORT, ANALYST])
def test_purchasing_permissions_per_role(make_staff: Callable[..., User], role: str) -> None:
    user = make_staff(role)
    wrong = [
        f"{role} {'should' if role in allowed else 'must not'} have {perm}"
        for perm, allowed in MATRIX
        if user.has_perm(perm) is not (role in allowed)
    ]
    assert not wrong
