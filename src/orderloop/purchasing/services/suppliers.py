"""Suppliers: create and change them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.core.money import MoneyError, normalize_currency
from orderloop.core.text import clean_text

from ..errors import (
    DuplicateSupplier,
)
from ..models import (
    Supplier,
)
from ._common import MAX_QUANTITY, MAX_TEXT, Actor, _staff_user

# --- Suppliers ------------------------------------------------------------------------------------

_SUPPLIER_TEXT = {"name": 200, "contact_name": 200, "phone": 40, "address": 1000, "notes": MAX_TEXT}
_LEFT_OUT = object()  # a refused value that is not kept in the cleaned values

Checked = tuple[Any, str | None]  # (the clean value, the error message or None)


def _check_code(value: Any) -> Checked:
    code = clean_text(value, 100).lower()
    if not code or len(code) > 40 or not all(ch.isalnum() or ch in "-_" for ch in code):
        return code, _("Use up to 40 letters, digits, hyphens or underscores.")
    return code, None


def _check_email(value: Any) -> Checked:
    email = clean_text(value, 254)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            return email, _("Not a valid email address.")
    return email, None


def _check_language(value: Any) -> Checked:
    language = clean_text(value, 8).lower() or settings.LANGUAGE_CODE
    if language not in {code for code, _name in settings.LANGUAGES}:
        return language, _("Not a language this shop speaks.")
    return language, None


def _check_currency(value: Any) -> Checked:
    try:
        return normalize_currency(value), None
    except MoneyError:
        return _LEFT_OUT, _("Not an ISO 4217 currency code.")


def _whole_number(low: int, high: int) -> Callable[[Any], Checked]:
    def check(value: Any) -> Checked:
        if isinstance(value, bool) or not low <= value <= high:
            return value, _("Use a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return value, None

    return check


def _text(length: int) -> Callable[[Any], Checked]:
    return lambda value: (clean_text(value, length), None)


_SUPPLIER_CHECKS: dict[str, Callable[[Any], Checked]] = {
    "code": _check_code,
    "email": _check_email,
    "language": _check_language,
    "currency": _check_currency,
    "lead_time_days": _whole_number(0, 365),
    "min_order_quantity": _whole_number(1, MAX_QUANTITY),
    "pack_size": _whole_number(1, MAX_QUANTITY),
    **{name: _text(length) for name, length in _SUPPLIER_TEXT.items()},
}


def _supplier_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields (None: not given) cleaned; every refused field named in one InvalidInput."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        if value is None:
            continue
        check = _SUPPLIER_CHECKS.get(name)
        clean, error = check(value) if check is not None else (value, None)
        if error is not None:
            errors[name] = error
        if clean is not _LEFT_OUT:
            values[name] = clean
    if "name" in values and not values["name"]:
        errors["name"] = _("This field is required.")
    if errors:
        raise InvalidInput(details=errors)
    return values


def supplier_create(
    *,
    code: str,
    name: str,
    currency: str,
    email: str = "",
    contact_name: str = "",
    phone: str = "",
    address: str = "",
    language: str = "en",
    lead_time_days: int = 7,
    min_order_quantity: int = 1,
    pack_size: int = 1,
    buyer_username: str | None = None,
    notes: str = "",
    is_active: bool = True,
    actor: Actor,
) -> Supplier:
    """Add a supplier. Codes are unique regardless of case (409 duplicate_supplier)."""
    values = _supplier_values(
        {
            "code": code,
            "name": name,
            "currency": currency,
            "email": email,
            "contact_name": contact_name,
            "phone": phone,
            "address": address,
            "language": language,
            "lead_time_days": lead_time_days,
            "min_order_quantity": min_order_quantity,
            "pack_size": pack_size,
            "notes": notes,
            "is_active": is_active,
        }
    )
    values["buyer"] = _staff_user(buyer_username, field_name="buyer")
    with transaction.atomic():
        if Supplier.objects.filter(code__iexact=values["code"]).exists():
            raise DuplicateSupplier(details={"code": values["code"]})
        try:
            with transaction.atomic():
                return Supplier.objects.create(**values)
        except IntegrityError as exc:
            raise DuplicateSupplier(details={"code": values["code"]}) from exc


def supplier_update(
    *,
    supplier: Supplier,
    actor: Actor,
    name: str | None = None,
    currency: str | None = None,
    email: str | None = None,
    contact_name: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    language: str | None = None,
    lead_time_days: int | None = None,
    min_order_quantity: int | None = None,
    pack_size: int | None = None,
    buyer_username: str | None = None,
    notes: str | None = None,
    is_active: bool | None = None,
) -> Supplier:
    """Change the fields given (None leaves a field as it is; buyer_username "" clears the buyer)."""
    values = _supplier_values(
        {
            "name": name,
            "currency": currency,
            "email": email,
            "contact_name": contact_name,
            "phone": phone,
            "address": address,
            "language": language,
            "lead_time_days": lead_time_days,
            "min_order_quantity": min_order_quantity,
            "pack_size": pack_size,
            "notes": notes,
            "is_active": is_active,
        }
    )
    if buyer_username is not None:
        values["buyer"] = _staff_user(buyer_username, field_name="buyer")
    with transaction.atomic():
        if values:
            Supplier.objects.filter(pk=supplier.pk).update(**values, updated_at=timezone.now())
    supplier.refresh_from_db()
    return supplier
