"""Server errors the API fuzz (test_fuzz.py) found, each pinned by a plain test that runs on both
engines: the fuzz only runs on PostgreSQL and explores, these say exactly what must hold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DATETIME_FILTERS = [
    "/api/v1/fulfillment/pick-accuracy?{name}={value}",
    "/api/v1/returns/analytics?{name}={value}",
    "/api/v1/fulfillment/queue?warehouse=kyiv&{name}={value}",
]


def _url(template: str, name: str, value: str) -> str:
    name = "placed_before" if "queue" in template else name
    return template.format(name=name, value=value.replace("+", "%2B"))


@pytest.mark.parametrize("template", DATETIME_FILTERS)
def test_a_time_zone_offset_beyond_postgresqls_range_is_read_in_utc(
    api_client: Callable[[str], Client], template: str, warehouse: object
) -> None:
    # ISO 8601 allows offsets up to ±23:59; PostgreSQL refused anything beyond ±15:59 (a 500).
    response = api_client("Admin").get(_url(template, "since", "2465-03-21T04:11:51-22:06"))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("template", DATETIME_FILTERS)
def test_a_moment_before_the_calendar_in_utc_is_a_validation_error(
    api_client: Callable[[str], Client], template: str, warehouse: object
) -> None:
    # 0001-01-01 00:00 at +05:00 is in the year 0 in UTC, which no date type holds (was a 500).
    response = api_client("Admin").get(_url(template, "since", "0001-01-01T00:00:00+05:00"))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["details"]) == {"placed_before" if "queue" in template else "since"}
