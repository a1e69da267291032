"""Request guards that hold for every page and every API call, so no view has to repeat them.

- A NUL character anywhere a value can arrive (the path, the query string, form fields and file names,
  JSON strings and keys) is refused before any view sees it: PostgreSQL cannot store it in text, and no
  honest client sends one. The path answers 404, everything else 422 `validation_error` naming the
  field (a page: 400 with a normal page).
- A body over `DATA_UPLOAD_MAX_MEMORY_SIZE` answers 413 `payload_too_large`, malformed form data 400.
- Under `/api/` a 404 or 405 that Django or ninja answered with HTML (an unknown path, a wrong method)
  becomes the API's JSON error.
- A database that cannot be reached (`OperationalError`, `InterfaceError`) answers 503
  `service_unavailable` with `Retry-After`, not a 500 that reads as a bug.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from . import http_errors

logger = logging.getLogger(__name__)

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_message() -> str:
    return _("Must not contain a NUL character.")


def _json_nul_paths(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths (as the API names fields: `lines.0.sku`) of JSON strings or keys holding a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if NUL in key:
                yield child
            else:
                yield from _json_nul_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_nul_paths(item, f"{path}.{index}" if path else str(index))


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if (
            response.status_code in (404, 405)
            and http_errors.is_api_request(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self._api_html_error_as_json(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("database unavailable on %s %s", request.method, request.path, exc_info=exception)
            return http_errors.service_unavailable(request)
        if isinstance(exception, RequestDataTooBig):
            return http_errors.payload_too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None

    # --- Checks made before any view ---------------------------------------------------------------

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        if NUL in request.path_info:
            return http_errors.not_found(request)
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or NUL in query:
            fields = [
                key for key, values in request.GET.lists() if NUL in key or any(NUL in v for v in values)
            ]
            if fields:
                return http_errors.validation_error(request, {field: _nul_message() for field in fields})
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        content_type = request.content_type or ""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit and content_type != "multipart/form-data":
            return http_errors.payload_too_large(request, limit)
        try:
            if content_type in FORM_TYPES:
                return self._refuse_form(request)
            # Any other body may be JSON whatever its content type says (ninja reads it as JSON).
            return self._refuse_json(request)
        except RequestDataTooBig:
            return http_errors.payload_too_large(request, limit)
        except (MultiPartParserError, SuspiciousOperation):
            return http_errors.error_answer(
                request, 400, "bad_request", _("The form data could not be read."), {}
            )
        return None

    def _refuse_json(self, request: HttpRequest) -> HttpResponse | None:
        body = request.body
        if b"\\u0000" not in body:  # a raw NUL byte is not JSON at all: the view answers 400
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        fields = list(_json_nul_paths(data))
        if not fields:
            return None
        return http_errors.validation_error(request, {field: _nul_message() for field in fields})

    def _refuse_form(self, request: HttpRequest) -> HttpResponse | None:
        fields = [key for key, values in request.POST.lists() if NUL in key or any(NUL in v for v in values)]
        fields += [
            key
            for key, files in request.FILES.lists()
            if NUL in key or any(NUL in (f.name or "") for f in files)
        ]
        if not fields:
            return None
        return http_errors.validation_error(request, {field: _nul_message() for field in fields})

    # --- API answers ---------------------------------------------------------------------------------

    def _api_html_error_as_json(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code == 404:
            return http_errors.not_found(request)
        allowed = sorted(method.strip() for method in response.get("Allow", "").split(",") if method.strip())
        answer = http_errors.api_error(
            405, "method_not_allowed", _("This method is not allowed here."), {"allowed": allowed}
        )
        if allowed:
            answer["Allow"] = ", ".join(allowed)
        return answer
