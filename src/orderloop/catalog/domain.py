"""Pure catalog rules: barcodes, SKUs, prices, measures, attributes. No ORM here.

The `clean_*` functions raise ValueError with a translated message meant for the person who typed the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from orderloop.core.money import MoneyError, normalize_currency, parse_amount

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
CODE128_MAX_LENGTH = 48


class BarcodeError(ValueError):
    pass


def barcode_kind(value: str) -> str:
    """Classify and validate a barcode: 13 digits must be a valid EAN-13 (check digit verified);
    anything else must be printable ASCII that Code 128 can carry."""
    value = value.strip()
    if not value:
        raise BarcodeError(_("empty barcode"))
    if value.isdigit() and len(value) == 13:
        try:
            ean.validate(value)
        except StdnumError as exc:
            raise BarcodeError(_("invalid EAN-13 check digit")) from exc
        return "ean13"
    if len(value) > CODE128_MAX_LENGTH:
        raise BarcodeError(
            ngettext("longer than %(max)s character", "longer than %(max)s characters", CODE128_MAX_LENGTH)
            % {"max": CODE128_MAX_LENGTH}
        )
    if not all(32 <= ord(char) <= 126 for char in value):
        raise BarcodeError(_("Code 128 carries printable ASCII only"))
    return "code128"


def ean13_with_check_digit(first_twelve: str) -> str:
    return first_twelve + ean.calc_check_digit(first_twelve)


def is_valid_sku(sku: str) -> bool:
    return bool(SKU_PATTERN.match(sku))


def parse_attributes(text: str) -> dict[str, str]:
    """`size=M; colour=Red` → {"size": "M", "colour": "Red"} (used by forms and CSV)."""
    result: dict[str, str] = {}
    for chunk in re.split(r"[;|]", text or ""):
        if not chunk.strip():
            continue
        if "=" not in chunk:
            raise ValueError(_("%(text)s is not name=value.") % {"text": chunk.strip()})
        name, value = chunk.split("=", 1)
        if not name.strip() or not value.strip():
            raise ValueError(_("%(text)s is not name=value.") % {"text": chunk.strip()})
        result[name.strip().lower()] = value.strip()
    return result


def format_attributes(attributes: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in attributes.items())


# --- Field rules shared by the services (API, pages) and the CSV import ----------------------------

MAX_PRICE = Decimal("9999999999.99")  # Variant.price_amount: max_digits=12, decimal_places=2
MAX_MEASURE = 2_147_483_647  # PositiveIntegerField on every engine
MEASURE_FIELDS = ("weight_g", "length_mm", "width_mm", "height_mm")
ATTRIBUTE_NAME_MAX = 40
ATTRIBUTE_VALUE_MAX = 100


def clean_sku(value: object) -> str:
    sku = str(value or "").strip()
    if not sku:
        raise ValueError(_("This field is required."))
    if not is_valid_sku(sku):
        raise ValueError(_("Use 1-64 letters, digits and . _ - / only, starting with a letter or digit."))
    return sku


def clean_price(value: object) -> Decimal:
    """A decimal string such as "129.90": never a float, never negative, at most 2 decimals."""
    if isinstance(value, (bool, int, float)):
        raise ValueError(_('Send the price as a decimal string such as "129.90", not a number.'))
    text = str(value or "").strip().replace(" ", "")
    if not text:
        raise ValueError(_("This field is required."))
    try:
        amount = parse_amount(text)
    except MoneyError as exc:
        raise ValueError(_("%(value)s is not a decimal amount such as 129.90.") % {"value": text}) from exc
    if amount < 0:
        raise ValueError(_("The price must not be negative."))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(_("Use at most 2 decimal places."))
    if amount > MAX_PRICE:
        raise ValueError(_("The price must not exceed %(max)s.") % {"max": MAX_PRICE})
    return amount.quantize(Decimal("0.01"))


def clean_currency(value: object) -> str:
    try:
        return normalize_currency(str(value or ""))
    except MoneyError as exc:
        raise ValueError(
            _("%(value)s is not an ISO 4217 currency code such as UAH or EUR.") % {"value": value}
        ) from exc


def clean_barcode(value: object) -> tuple[str | None, str]:
    """(barcode, barcode_type); an empty value means "no barcode"."""
    text = str(value or "").strip()
    if not text:
        return None, ""
    try:
        return text, barcode_kind(text)
    except BarcodeError as exc:
        raise ValueError(_("Not a valid barcode: %(reason)s.") % {"reason": exc}) from exc


def clean_measure(value: object) -> int:
    if isinstance(value, (bool, float)):
        raise ValueError(_("Enter a whole number."))
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise ValueError(_("Enter a whole number.")) from exc
    if not 0 <= number <= MAX_MEASURE:
        raise ValueError(_("Enter a number between 0 and 2147483647."))
    return number


def clean_attributes(value: object) -> dict[str, str]:
    """A mapping (API) or "size=M; colour=Red" text (forms) → {"size": "M", "colour": "Red"}."""
    if value is None:
        return {}
    if isinstance(value, str):
        raw: dict[Any, Any] = parse_attributes(value)
    elif isinstance(value, dict):
        raw = value
    else:
        raise ValueError(_("Enter attributes as name=value pairs."))
    result: dict[str, str] = {}
    for name, val in raw.items():
        key = str(name).strip().lower()
        text = "" if val is None else str(val).strip()
        if not key or len(key) > ATTRIBUTE_NAME_MAX:
            raise ValueError(
                ngettext(
                    "Attribute names must be 1-%(max)s character.",
                    "Attribute names must be 1-%(max)s characters.",
                    ATTRIBUTE_NAME_MAX,
                )
                % {"max": ATTRIBUTE_NAME_MAX}
            )
        if not text:
            continue
        if len(text) > ATTRIBUTE_VALUE_MAX:
            raise ValueError(
                ngettext(
                    "%(name)s: at most %(max)s character.",
                    "%(name)s: at most %(max)s characters.",
                    ATTRIBUTE_VALUE_MAX,
                )
                % {"name": key, "max": ATTRIBUTE_VALUE_MAX}
            )
        result[key] = text
    return result


VARIANT_CLEANERS: dict[str, Any] = {
    "sku": clean_sku,
    "price": clean_price,
    "currency": clean_currency,
    "attributes": clean_attributes,
    **{name: clean_measure for name in MEASURE_FIELDS},
}


def clean_variant_fields(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the variant fields present in `raw`; return (clean values, {field: message}).

    Only fields present are checked, so the same function serves create (all fields) and partial
    updates. `barcode` yields both `barcode` and `barcode_type`; `price` becomes `price_amount`.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, value in raw.items():
        try:
            if field == "barcode":
                clean["barcode"], clean["barcode_type"] = clean_barcode(value)
            elif field == "price":
                clean["price_amount"] = clean_price(value)
            elif field in VARIANT_CLEANERS:
                clean[field] = VARIANT_CLEANERS[field](value)
        except ValueError as exc:
            errors[field] = str(exc)
    return clean, errors


# --- Product fields --------------------------------------------------------------------------------

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
HANDLE_MAX = 120
URL_MAX = 200
_url_validator = URLValidator(schemes=["http", "https"])


def clean_text(value: object) -> str:
    """Trim and drop NUL characters (PostgreSQL refuses them)."""
    return "" if value is None else str(value).replace("\x00", "").strip()


def clean_handle(value: object) -> str:
    handle = clean_text(value).lower()
    if len(handle) > HANDLE_MAX or not HANDLE_RE.match(handle):
        raise ValueError(_("Use lowercase letters, digits, hyphens and underscores (at most 120)."))
    return handle


def clean_category_slug(value: object) -> str:
    slug = clean_text(value).lower()
    if len(slug) > 120 or not HANDLE_RE.match(slug):
        raise ValueError(_("Use lowercase letters, digits, hyphens and underscores (at most 120)."))
    return slug


def clean_image_url(value: object) -> str:
    url = clean_text(value)
    if not url:
        return ""
    if len(url) > URL_MAX:
        raise ValueError(_("At most 200 characters."))
    try:
        _url_validator(url)
    except DjangoValidationError as exc:
        raise ValueError(_("Enter a valid http(s) URL.")) from exc
    return url


ALT_TEXT_MAX = 200


class _Pictured(Protocol):
    variant_id: int | None


PictureT = TypeVar("PictureT", bound=_Pictured)


def main_image(images: Sequence[PictureT], variant_id: int | None = None) -> PictureT | None:
    """The picture to show for a variant (or, with no variant, for the product), from the product's
    pictures in their order: the variant's own first picture, else the first picture of the whole
    product (tied to no variant), else the first picture there is."""
    if variant_id is not None:
        own = next((image for image in images if image.variant_id == variant_id), None)
        if own is not None:
            return own
    general = next((image for image in images if image.variant_id is None), None)
    if general is not None:
        return general
    return images[0] if images else None
