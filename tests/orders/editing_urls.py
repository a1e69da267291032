"""URLs for the editing API tests while `orders.api_editing.router` is not yet mounted in api/main.py:
a second API object with the same auth and error handlers, serving only that router. Once the router is
mounted, the tests use the project's URLs (see `editing_api` in test_editing.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from ninja import NinjaAPI

from orderloop.api.main import api
from orderloop.core.api_auth import TokenAuth
from orderloop.orders.api_editing import router

editing_api = NinjaAPI(urls_namespace="api-v1-editing-tests", auth=TokenAuth(), docs_url=None)
editing_api._exception_handlers = dict(api._exception_handlers)
editing_api.add_router("/orders", router)

urlpatterns: list[URLPattern | URLResolver] = [path("api/v1/", editing_api.urls)]
