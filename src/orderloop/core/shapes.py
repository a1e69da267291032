"""The base of request and response shapes that are built from explicit values.

ninja's `Schema` validates every instance through its `DjangoGetter`, which reads each field as an
attribute and converts querysets, managers and callables, so a response can be validated straight from
ORM objects. A request body arrives as a dict and our `*_out` functions pass every field by name, so that
work buys nothing there, and on the order-placement path it was a sixth of the request's Python
(docs/benchmarks.md). `Shape` is pydantic alone: same fields, same validation, same OpenAPI schema.
Keep ninja's `Schema` for a response that is validated from a model instance.

Request bodies derive from `InShape` or `InSchema`: a field the API does not know is refused (422
`validation_error` naming it) instead of being silently ignored, so a client never believes it set
something (`unit_price` on an order line) that was thrown away.

Every class here is published in the OpenAPI document under its class name, so a name is used once
across the whole API (tests/api/test_openapi.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Where the OpenAPI document keeps shapes: a schema written by hand from `model_json_schema` refers there.
REF_TEMPLATE = "#/components/schemas/{model}"


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value  # Django reads it in the shop's time zone
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date is out of range") from None


# A datetime a client sends, moved to UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows
# (`…T04:11:51-22:06`), and a moment that leaves the calendar in UTC is a validation error, not a crash.
UtcDateTime = Annotated[datetime, AfterValidator(_in_utc)]


class Shape(BaseModel):
    """A request or response shape validated by pydantic alone (see the module docstring)."""


class InShape(Shape):
    """A request body (plain pydantic) that refuses unknown fields."""

    model_config = ConfigDict(extra="forbid")


class InSchema(Schema):
    """A request body (ninja `Schema`) that refuses unknown fields."""

    model_config = ConfigDict(extra="forbid")


class MoneyOut(Shape):
    """An amount as a decimal string with its ISO 4217 currency (docs/api.md, Money)."""

    amount: str = Field(..., examples=["129.90"])
    currency: str = Field(..., examples=["UAH"])


class ErrorOut(Shape):
    """Every error answer of the API (docs/api.md, Errors)."""

    code: str = Field(..., description="Stable, for programs.", examples=["validation_error"])
    message: str = Field(..., description="For people, in the request's language.")
    details: dict[str, Any] = Field(
        ..., description="More about the error; for validation_error each field's dotted path → message."
    )
