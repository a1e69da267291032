"""API tokens: issued by `create_api_token` (or the back office), stored as a SHA-256 only, revocable."""

from __future__ import annotations

import hashlib
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from orderloop.core.models import ApiToken
from orderloop.core.services import api_token_authenticate, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

WAREHOUSES_URL = "/api/v1/warehouses"


def issue(username: str, role: str, **extra: Any) -> tuple[str, str]:
    """Run the command; (token, everything it printed)."""
    out = StringIO()
    call_command("create_api_token", username=username, role=role, stdout=out, **extra)
    printed = out.getvalue()
    return printed.strip().splitlines()[-1], printed


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_command_creates_the_user_with_the_role_and_prints_the_token_last() -> None:
    token, printed = issue("erp-sync", "warehouse", name="ERP")
    user = User.objects.get(username="erp-sync")
    assert user.is_staff and not user.is_superuser
    assert not user.has_usable_password(), "an integration user logs in with its token only"
    assert list(user.groups.values_list("name", flat=True)) == ["Warehouse"]
    assert "Created user erp-sync with role Warehouse" in printed
    assert token.startswith("olt_")

    found = api_token_authenticate(token)
    assert found is not None and found.user == user and found.name == "ERP"


def test_the_token_opens_the_api_with_its_users_role() -> None:
    token, _ = issue("stock-app", "Warehouse")
    response = bearer(token).get(WAREHOUSES_URL)
    assert response.status_code == 200, response.content
    assert response.json() == []
    assert ApiToken.objects.get().last_used_at is not None


def test_a_role_without_the_permission_gets_403() -> None:
    token, _ = issue("driver", "courier")
    response = bearer(token).get(WAREHOUSES_URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_command_reuses_an_existing_user_and_adds_the_role() -> None:
    issue("ops", "support")
    token, printed = issue("ops", "analyst")
    assert "Found user ops" in printed
    user = User.objects.get(username="ops")
    assert set(user.groups.values_list("name", flat=True)) == {"Support", "Analyst"}
    assert ApiToken.objects.filter(user=user).count() == 2
    assert api_token_authenticate(token) is not None


def test_only_a_sha256_of_the_secret_is_stored() -> None:
    token, _ = issue("hash-check", "manager")
    _kind, prefix, secret = token.split("_", 2)
    row = ApiToken.objects.values().get()
    assert row["prefix"] == prefix
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    for value in row.values():
        assert secret not in str(value) and token not in str(value)


def test_a_revoked_token_gets_401() -> None:
    token, _ = issue("leaver", "manager")
    client = bearer(token)
    assert client.get(WAREHOUSES_URL).status_code == 200
    admin = User.objects.create_superuser("boss", password="x-pass-123")
    api_token_revoke(token_id=ApiToken.objects.get().pk, actor=admin)

    assert api_token_authenticate(token) is None
    response = client.get(WAREHOUSES_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert ApiToken.objects.get().revoked_by == admin


def test_unknown_role_is_refused_and_creates_nothing() -> None:
    with pytest.raises(CommandError, match="unknown role"):
        issue("nobody", "superhero")
    assert not User.objects.filter(username="nobody").exists()
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # wrong secret, right prefix
        lambda token: token.replace("olt_", "xyz_", 1),  # wrong kind
        lambda token: token.split("_", 2)[2],  # the secret alone
        lambda token: "",
        lambda token: "olt_only-two-parts",
    ],
)
def test_a_token_that_is_not_exactly_right_is_refused(mangle: Any) -> None:
    token, _ = issue("careful", "analyst")
    assert api_token_authenticate(mangle(token)) is None
    assert bearer(mangle(token)).get(WAREHOUSES_URL).status_code == 401


def test_a_deactivated_users_token_stops_working() -> None:
    user = User.objects.create_user("temp", is_staff=True)
    token = api_token_create(user=user, name="t").plaintext
    assert api_token_authenticate(token) is not None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_token_authenticate(token) is None


def test_revoking_twice_keeps_the_first_revocation() -> None:
    user = User.objects.create_user("twice", is_staff=True)
    issued = api_token_create(user=user)
    first = api_token_revoke(token_id=issued.token.pk, actor=user).revoked_at
    assert api_token_revoke(token_id=issued.token.pk, actor=user).revoked_at == first


@pytest.mark.parametrize(
    "header",
    ["Bearer olt_ab\x00c0123456_secret", "Bearer olt_" + "a" * 300 + "_secret", "Bearer olt_ABCDEF012345_x"],
)
def test_hostile_tokens_get_401_not_500(header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get(WAREHOUSES_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
