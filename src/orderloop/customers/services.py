"""Writes of customer accounts: registering, signing in, saved addresses, linking orders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.inventory.selectors import country_codes
from orderloop.orders.domain import AddressData, PhoneError, address_errors, normalize_phone

from .errors import AddressNotFound, EmailTaken
from .models import Address, Customer, CustomerOrder

# Hashed once so that signing in with an unknown email costs as much as with a known one.
_DUMMY_PASSWORD = make_password("orderloop-no-such-account")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def customer_register(
    *, email: str, password: str, name: str, phone: str = "", language: str = ""
) -> Customer:
    errors: dict[str, str] = {}
    email = normalize_email(email)
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = _("Not a valid email address.")
    if not name.strip():
        errors["name"] = _("This field is required.")
    try:
        validate_password(password)
    except DjangoValidationError as exc:
        errors["password"] = " ".join(str(message) for message in exc.messages)
    e164 = ""
    if phone.strip():
        try:
            e164 = normalize_phone(phone, "")
        except PhoneError as exc:
            errors["phone"] = str(exc)
    if errors:
        raise InvalidInput(details=errors)
    language = (
        language if language in {code for code, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE
    )
    try:
        with transaction.atomic():
            return Customer.objects.create(
                email=email,
                password=make_password(password),
                name=name.strip()[:200],
                phone=e164,
                language=language,
            )
    except IntegrityError:
        raise EmailTaken(details={"email": str(EmailTaken.default_message)}) from None


def customer_authenticate(*, email: str, password: str) -> Customer | None:
    customer = Customer.objects.filter(email=normalize_email(email), is_active=True).first()
    if customer is None:
        check_password(password, _DUMMY_PASSWORD)
        return None
    if not check_password(password, customer.password):
        return None
    Customer.objects.filter(pk=customer.pk).update(last_login=timezone.now())
    return customer


def customer_update(*, customer: Customer, name: str, phone: str, language: str) -> Customer:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("This field is required.")
    e164 = ""
    if phone.strip():
        try:
            e164 = normalize_phone(phone, "")
        except PhoneError as exc:
            errors["phone"] = str(exc)
    if errors:
        raise InvalidInput(details=errors)
    customer.name = name.strip()[:200]
    customer.phone = e164
    if language in {code for code, _name in settings.LANGUAGES}:
        customer.language = language
    customer.save(update_fields=["name", "phone", "language"])
    return customer


def _address_fields(data: dict[str, Any]) -> dict[str, str]:
    return {
        key: str(data.get(key) or "").replace("\x00", "").strip()[:length]
        for key, length in (
            ("name", 200),
            ("phone", 40),
            ("country", 2),
            ("region", 100),
            ("city", 100),
            ("postal_code", 20),
            ("line1", 200),
            ("line2", 200),
        )
    }


def address_save(
    *, customer: Customer, data: dict[str, Any], make_default: bool = True, address_id: int | None = None
) -> Address:
    """Create (or update) a saved address after the same checks a checkout makes."""
    fields = _address_fields(data)
    fields["country"] = fields["country"].upper()
    errors: dict[str, str] = {}
    if fields["country"] not in country_codes():
        errors["country"] = _("Not an ISO 3166 two-letter country code.")
    else:
        address = AddressData(
            country=fields["country"],
            region=fields["region"],
            city=fields["city"],
            postal_code=fields["postal_code"],
            line1=fields["line1"],
            line2=fields["line2"],
        )
        for name, message in address_errors(address).items():
            errors[name.removeprefix("shipping_address.")] = message
    if fields["phone"]:
        try:
            fields["phone"] = normalize_phone(fields["phone"], fields["country"])
        except PhoneError as exc:
            errors["phone"] = str(exc)
    if not fields["name"]:
        fields["name"] = customer.name
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        if address_id is not None:
            address_row = Address.objects.select_for_update().filter(pk=address_id, customer=customer).first()
            if address_row is None:
                raise AddressNotFound()
        else:
            address_row = Address(customer=customer)
        # The same address again (another checkout to it) is not saved twice.
        same = (
            Address.objects.filter(customer=customer, **{k: v for k, v in fields.items() if k != "phone"})
            .exclude(pk=address_row.pk)
            .first()
        )
        if same is not None and address_id is None:
            address_row = same
        for key, value in fields.items():
            setattr(address_row, key, value)
        if make_default:
            Address.objects.filter(customer=customer, is_default=True).exclude(pk=address_row.pk).update(
                is_default=False
            )
            address_row.is_default = True
        address_row.save()
        return address_row


def address_delete(*, customer: Customer, address_id: int) -> None:
    deleted, _rows = Address.objects.filter(pk=address_id, customer=customer).delete()
    if not deleted:
        raise AddressNotFound()


def customer_order_link(*, customer_id: int, order_id: int) -> CustomerOrder:
    link, _created = CustomerOrder.objects.get_or_create(
        order_id=order_id, defaults={"customer_id": customer_id}
    )
    return link
