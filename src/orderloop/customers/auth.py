"""Storefront sign-in: the customer's id in the session under its own key, apart from staff logins (a
shop assistant signed in to the back office and a customer account in the same browser do not mix)."""

from __future__ import annotations

from django.http import HttpRequest

from .models import Customer
from .selectors import customer_by_id

SESSION_KEY = "storefront_customer_id"


def sign_in(request: HttpRequest, customer: Customer) -> None:
    request.session.cycle_key()  # a new session id at sign-in: no session fixation
    request.session[SESSION_KEY] = customer.pk


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def current_customer(request: HttpRequest) -> Customer | None:
    if not hasattr(request, "_storefront_customer"):
        request._storefront_customer = customer_by_id(request.session.get(SESSION_KEY))  # type: ignore[attr-defined]
    return request._storefront_customer  # type: ignore[attr-defined,no-any-return]
