"""The one ninja API object. Each area contributes its router; errors all share one JSON shape:
`{"code": "...", "message": "...", "details": {...}}`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.errors import AuthorizationError as NinjaAuthorizationError
from ninja.openapi.schema import OpenAPISchema

from orderloop.api.openapi import document_errors
from orderloop.catalog.api import router as catalog_router
from orderloop.catalog.api import variants_router
from orderloop.core import http_errors
from orderloop.core.api_auth import TokenAuth, TokenRateThrottle
from orderloop.core.errors import DomainError
from orderloop.fulfillment.api import fulfillment_router, parcels_router, pick_lists_router, waves_router
from orderloop.intake.api import router as intake_router
from orderloop.inventory.api import stock_router, warehouses_router
from orderloop.orders.api import methods_router as order_methods_router
from orderloop.orders.api import router as orders_router
from orderloop.orders.api_editing import router as orders_editing_router
from orderloop.payments.api import router as payments_router
from orderloop.promotions.api import router as promotions_router
from orderloop.purchasing.api import (
    purchase_orders_router,
    replenishment_router,
    rules_router,
    suppliers_router,
)
from orderloop.returns.api import router as returns_router
from orderloop.shipping.api import (
    cod_router,
    courier_router,
    manifests_router,
    shipments_router,
    shipping_router,
    webhooks_router,
)

logger = logging.getLogger(__name__)


class OrderloopAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        return schema


api = OrderloopAPI(
    title="Orderloop API",
    version="1",
    urls_namespace="api-v1",
    docs_url="/docs",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    description="Order management for online shops. Authenticate with `Authorization: Bearer <token>`.",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "details": details or {}}, status=status
    )


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes locations with the parameter source ("body", "query", the argument name).
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "cookie"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] == "payload":
            parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.http_status, exc.code, exc.message, exc.details)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields.setdefault(_field_path(error.get("loc", ())), str(error.get("msg", "invalid")))
    return error_response(request, 422, "validation_error", _("Some fields are not valid."), fields)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        request, 401, "not_authenticated", _("Send a valid API token as 'Authorization: Bearer <token>'.")
    )
    response["WWW-Authenticate"] = 'Bearer realm="orderloop"'
    return response


@api.exception_handler(NinjaAuthorizationError)
def on_authorization_error(request: HttpRequest, exc: NinjaAuthorizationError) -> HttpResponse:
    return error_response(request, 403, "permission_denied", _("Your role does not allow this action."))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "permission_denied", _("Your role does not allow this action."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # ninja adds the Retry-After header (whole seconds) to this answer.
    wait = int(exc.wait or 0)
    return error_response(
        request,
        429,
        "rate_limited",
        ngettext(
            "Too many requests with this token. Wait %(seconds)d second and try again.",
            "Too many requests with this token. Wait %(seconds)d seconds and try again.",
            wait,
        )
        % {"seconds": wait},
        {"retry_after": wait},
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        exc.status_code, "error"
    )
    return error_response(request, exc.status_code, code, str(exc.message))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database cannot be reached (or dropped the connection): temporary, so 503 and a retry."""
    logger.error("database unavailable on %s %s", request.method, request.path, exc_info=exc)
    return http_errors.service_unavailable(request)


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled API error on %s %s", request.method, request.path)
    return error_response(request, 500, "internal_error", _("Something went wrong on our side."))


# URLs are tried in this order: orders first (placing one is the busiest request), the imports before
# them (`/orders/imports` would otherwise read as the order numbered "imports").
api.add_router("/orders/imports", intake_router)
api.add_router("/orders", orders_router)
api.add_router("/orders", orders_editing_router)
api.add_router("/products", catalog_router)
api.add_router("/variants", variants_router)
api.add_router("/warehouses", warehouses_router)
api.add_router("/stock", stock_router)
api.add_router("/", order_methods_router)
api.add_router("/payments", payments_router)
api.add_router("/coupons", promotions_router)
api.add_router("/suppliers", suppliers_router)
api.add_router("/reorder-rules", rules_router)
api.add_router("/replenishment", replenishment_router)
api.add_router("/purchase-orders", purchase_orders_router)
api.add_router("/fulfillment", fulfillment_router)
api.add_router("/waves", waves_router)
api.add_router("/pick-lists", pick_lists_router)
api.add_router("/parcels", parcels_router)
api.add_router("/returns", returns_router)
api.add_router("/shipping", shipping_router)
api.add_router("/shipping", webhooks_router)
api.add_router("/shipments", shipments_router)
api.add_router("/manifests", manifests_router)
api.add_router("/courier", courier_router)
api.add_router("/cod", cod_router)
