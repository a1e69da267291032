"""Every API error has one shape: {"code", "message", "details"} with the right 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db

URL = "/api/v1/warehouses"


def assert_error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("application/json")  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Bearer olt_abc_def", "Basic dXNlcjpwYXNz", "Token olt_a_b"],
)
def test_missing_or_bad_credentials_give_401_not_authenticated(header: str | None) -> None:
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    body = assert_error(client.get(URL), 401, "not_authenticated")
    assert body["details"] == {}


def test_a_session_login_is_not_an_api_credential(django_user_model: type) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("web", password="x-pass-123"))
    assert_error(client.get(URL), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"code": ', "application/json"),
        ("\xff\xfe", "application/json"),
        ("{'code': 'single-quotes'}", "application/json"),
        ("code=a&name=b", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_json_is_a_4xx_never_a_500(
    api_client: Callable[[str], Client], body: str, content_type: str
) -> None:
    response = api_client("Admin").post(URL, data=body, content_type=content_type)
    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize("body", ["[]", '"x"', "null", "42"])
def test_json_that_is_not_an_object_is_a_validation_error(
    api_client: Callable[[str], Client], body: str
) -> None:
    assert_error(
        api_client("Admin").post(URL, data=body, content_type="application/json"), 422, "validation_error"
    )


def test_validation_errors_name_the_fields(api_client: Callable[[str], Client]) -> None:
    response = api_client("Admin").post(URL, {"code": "odesa"}, content_type="application/json")
    body = assert_error(response, 422, "validation_error")
    assert set(body["details"]) >= {"name", "country"}  # type: ignore[arg-type]


def test_a_domain_error_keeps_its_code(api_client: Callable[[str], Client]) -> None:
    client = api_client("Admin")
    payload = {"code": "odesa", "name": "Odesa south", "country": "UA"}
    assert client.post(URL, payload, content_type="application/json").status_code == 201
    body = assert_error(
        client.post(URL, payload, content_type="application/json"), 409, "duplicate_warehouse"
    )
    assert body["details"] == {"code": "odesa"}


def test_permission_denied_and_not_found_share_the_shape(api_client: Callable[[str], Client]) -> None:
    assert_error(api_client("Courier").get(URL), 403, "permission_denied")
    assert_error(api_client("Admin").get(f"{URL}/no-such-warehouse"), 404, "warehouse_not_found")


@pytest.mark.parametrize("language", ["uk", "ar"])
def test_the_message_follows_the_request_language(language: str) -> None:
    english = "Send a valid API token as 'Authorization: Bearer <token>'."
    body = Client(HTTP_ACCEPT_LANGUAGE=language).get(URL).json()
    assert body["code"] == "not_authenticated"  # the code never changes with the language
    with translation.override(language):
        assert body["message"] == gettext(english)
