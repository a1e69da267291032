"""The base of request and response shapes that are built from explicit values.

ninja's `Schema` validates every instance through its `DjangoGetter`, which reads each field as an
attribute and converts querysets, managers and callables, so a response can be validated straight from
ORM objects. A request body arrives as a dict and our `*_out` functions pass every field by name, so that
work buys nothing there, and on the order-placement path it was a sixth of the request's Python
(docs/benchmarks.md). `Shape` is pydantic alone: same fields, same validation, same OpenAPI schema.
Keep ninja's `Schema` for a response that is validated from a model instance.
"""

from __future__ import annotations

from pydantic import BaseModel


class Shape(BaseModel):
    """A request or response shape validated by pydantic alone (see the module docstring)."""
