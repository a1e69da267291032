"""Risk flags: orders a manager should look at before they go to the warehouse (docs/order-rules.md).

The rules are pure functions of plain values (tested without a database); `risk_assess` gathers their
inputs with a few indexed queries, and `order_place` stores the result on the order as
`[{"code": ..., "params": {...}}]`. Messages are rendered when shown (`flag_message`), in the reader's
language. A flagged order cannot move to `picking` until a manager reviewed it (`order_review_risk`).

Settings (`ORDERLOOP[...]`, all optional):
- RISK_RULES_DISABLED: codes of rules to switch off, e.g. ["phone_country_mismatch"].
- RISK_REFUSED_PARCELS_MIN: earlier refused parcels that flag a cash-on-delivery order (default 1).
- RISK_LARGE_FIRST_ORDER_TOTALS: currency → total above which a first order is flagged.
- RISK_LARGE_FIRST_ORDER_LINE_QUANTITY: a first order with a line above this quantity is flagged (10).
- RISK_DUPLICATE_WINDOW_HOURS: how far back a duplicate order is looked for (24).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from orderloop.core import rawsql
from orderloop.core.errors import Conflict
from orderloop.core.money import format_money

from .domain import phone_country
from .models import Order, OrderStatus, PaymentKind

COD_WITH_REFUSALS = "cod_refused_before"
PHONE_COUNTRY_MISMATCH = "phone_country_mismatch"
LARGE_FIRST_ORDER = "large_first_order"
DUPLICATE_ORDER = "duplicate_order"

RULE_CODES = (COD_WITH_REFUSALS, PHONE_COUNTRY_MISMATCH, LARGE_FIRST_ORDER, DUPLICATE_ORDER)

# The permission that lets a user review (accept) an order's risk flags: Manager and Admin have it,
# Support, Warehouse, Courier and Analyst do not (core/roles.py).
REVIEW_PERMISSION = "orders.change_order"

DEFAULT_LARGE_FIRST_ORDER_TOTALS: dict[str, str] = {
    "UAH": "20000",
    "SEK": "5000",
    "EUR": "500",
    "USD": "550",
    "PLN": "2200",
}
DEFAULT_LARGE_FIRST_ORDER_LINE_QUANTITY = 10
DEFAULT_REFUSED_PARCELS_MIN = 1
DEFAULT_DUPLICATE_WINDOW_HOURS = 24
MAX_DUPLICATES_SHOWN = 5

# Region codes phonenumbers gives numbers that belong to no country (+800, +882, ...).
_NON_GEOGRAPHIC = {"001", "ZZ"}

Basket = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RiskFlag:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class RiskSettings:
    refused_parcels_min: int = DEFAULT_REFUSED_PARCELS_MIN
    large_first_order_totals: Mapping[str, Decimal] = field(
        default_factory=lambda: {k: Decimal(v) for k, v in DEFAULT_LARGE_FIRST_ORDER_TOTALS.items()}
    )
    large_first_order_line_quantity: int = DEFAULT_LARGE_FIRST_ORDER_LINE_QUANTITY
    duplicate_window: timedelta = timedelta(hours=DEFAULT_DUPLICATE_WINDOW_HOURS)
    disabled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RiskInput:
    """Everything the rules look at, as plain values."""

    payment_kind: str
    phone: str
    ship_country: str
    currency: str
    total: Decimal
    basket: Basket
    # The customer's earlier orders (same phone, or same non-empty email; 0 means a first order).
    earlier_orders: int = 0
    earlier_refused: int = 0
    # Recent orders of the same phone that were not cancelled: (number, basket).
    recent_same_phone: Sequence[tuple[str, Basket]] = ()


# --- The rules (pure) ---------------------------------------------------------------------------------


def basket_of(lines: Iterable[tuple[str, int]]) -> Basket:
    """The order's items as a comparable value: quantities summed per SKU, sorted by SKU."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        key = sku.strip()
        totals[key] = totals.get(key, 0) + int(quantity)
    return tuple(sorted(totals.items()))


def cod_with_refusals(*, payment_kind: str, earlier_refused: int, minimum: int) -> RiskFlag | None:
    """Cash on delivery from a customer whose earlier parcels were refused at the door."""
    if payment_kind == PaymentKind.COD and minimum > 0 and earlier_refused >= minimum:
        return RiskFlag(COD_WITH_REFUSALS, {"refused": earlier_refused})
    return None


def phone_country_mismatch(*, phone: str, ship_country: str) -> RiskFlag | None:
    """The phone number belongs to another country than the shipping address."""
    region = phone_country(phone) if phone else None
    country = (ship_country or "").strip().upper()
    if not region or region in _NON_GEOGRAPHIC or not country or region == country:
        return None
    return RiskFlag(PHONE_COUNTRY_MISMATCH, {"phone_country": region, "ship_country": country})


def large_first_order(
    *,
    earlier_orders: int,
    currency: str,
    total: Decimal,
    basket: Basket,
    thresholds: Mapping[str, Decimal],
    max_line_quantity: int,
) -> RiskFlag | None:
    """A customer's first order with a total above the currency's threshold, or a line above N units."""
    if earlier_orders > 0:
        return None
    threshold = thresholds.get(currency.upper())
    if threshold is not None and total > threshold:
        return RiskFlag(
            LARGE_FIRST_ORDER,
            {"total": str(total), "threshold": str(threshold), "currency": currency.upper()},
        )
    biggest = max((quantity for _sku, quantity in basket), default=0)
    if max_line_quantity > 0 and biggest > max_line_quantity:
        sku = next(sku for sku, quantity in basket if quantity == biggest)
        return RiskFlag(LARGE_FIRST_ORDER, {"sku": sku, "quantity": biggest, "limit": max_line_quantity})
    return None


def duplicate_order(*, basket: Basket, recent: Sequence[tuple[str, Basket]]) -> RiskFlag | None:
    """The same phone ordered the same items (same SKUs, same quantities) recently."""
    numbers = [number for number, other in recent if other == basket]
    if not basket or not numbers:
        return None
    return RiskFlag(DUPLICATE_ORDER, {"numbers": numbers})


def evaluate(data: RiskInput, rules: RiskSettings) -> list[RiskFlag]:
    """Every flag the order raises, in the fixed order of RULE_CODES."""
    candidates = {
        COD_WITH_REFUSALS: lambda: cod_with_refusals(
            payment_kind=data.payment_kind,
            earlier_refused=data.earlier_refused,
            minimum=rules.refused_parcels_min,
        ),
        PHONE_COUNTRY_MISMATCH: lambda: phone_country_mismatch(
            phone=data.phone, ship_country=data.ship_country
        ),
        LARGE_FIRST_ORDER: lambda: large_first_order(
            earlier_orders=data.earlier_orders,
            currency=data.currency,
            total=data.total,
            basket=data.basket,
            thresholds=rules.large_first_order_totals,
            max_line_quantity=rules.large_first_order_line_quantity,
        ),
        DUPLICATE_ORDER: lambda: duplicate_order(basket=data.basket, recent=data.recent_same_phone),
    }
    flags = []
    for code in RULE_CODES:
        if code in rules.disabled:
            continue
        flag = candidates[code]()
        if flag is not None:
            flags.append(flag)
    return flags


def needs_review(flags: Sequence[Mapping[str, Any]] | None, reviewed_at: datetime | None) -> bool:
    return bool(flags) and reviewed_at is None


def blocks_transition(*, to: str, flags: Sequence[Mapping[str, Any]] | None, reviewed_at: Any) -> bool:
    """A flagged order that nobody reviewed may not go to the warehouse."""
    return to == OrderStatus.PICKING and needs_review(flags, reviewed_at)


# --- Messages (rendered when shown) -------------------------------------------------------------------


def _money(amount: Any, currency: str) -> str:
    try:
        return format_money(Decimal(str(amount)), currency)
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}"


def flag_message(flag: Mapping[str, Any]) -> str:
    """The flag's human message in the active language."""
    code = flag.get("code", "")
    params = flag.get("params") or {}
    if code == COD_WITH_REFUSALS:
        refused = int(params.get("refused", 0))
        return ngettext(
            "Cash on delivery, and %(count)s earlier parcel of this customer was refused.",
            "Cash on delivery, and %(count)s earlier parcels of this customer were refused.",
            refused,
        ) % {"count": refused}
    if code == PHONE_COUNTRY_MISMATCH:
        return gettext(
            "The phone number is from %(phone_country)s but the parcel goes to %(ship_country)s."
        ) % {
            "phone_country": params.get("phone_country", "?"),
            "ship_country": params.get("ship_country", "?"),
        }
    if code == LARGE_FIRST_ORDER:
        if "total" in params:
            currency = str(params.get("currency", ""))
            return gettext(
                "First order of this customer, and its total %(total)s is above %(threshold)s."
            ) % {
                "total": _money(params["total"], currency),
                "threshold": _money(params.get("threshold", "0"), currency),
            }
        quantity = int(params.get("quantity") or 0)
        return ngettext(
            "First order of this customer, with %(quantity)s unit of %(sku)s (more than %(limit)s).",
            "First order of this customer, with %(quantity)s units of %(sku)s (more than %(limit)s).",
            quantity,
        ) % {"quantity": quantity, "sku": params.get("sku"), "limit": params.get("limit")}
    if code == DUPLICATE_ORDER:
        numbers = ", ".join(str(n) for n in params.get("numbers", []))
        return gettext("The same phone ordered the same items recently: %(numbers)s.") % {"numbers": numbers}
    return str(code)


def flag_messages(flags: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Flags with their messages, for templates and the API: [{"code", "params", "message"}]."""
    return [{**flag, "message": flag_message(flag)} for flag in flags or []]


# --- Gathering the inputs (the thin database part) ------------------------------------------------


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def risk_settings() -> RiskSettings:
    config = settings.ORDERLOOP
    totals = config.get("RISK_LARGE_FIRST_ORDER_TOTALS", DEFAULT_LARGE_FIRST_ORDER_TOTALS)
    return RiskSettings(
        refused_parcels_min=_as_int(
            config.get("RISK_REFUSED_PARCELS_MIN", DEFAULT_REFUSED_PARCELS_MIN), DEFAULT_REFUSED_PARCELS_MIN
        ),
        large_first_order_totals={str(k).upper(): Decimal(str(v)) for k, v in (totals or {}).items()},
        large_first_order_line_quantity=_as_int(
            config.get("RISK_LARGE_FIRST_ORDER_LINE_QUANTITY", DEFAULT_LARGE_FIRST_ORDER_LINE_QUANTITY),
            DEFAULT_LARGE_FIRST_ORDER_LINE_QUANTITY,
        ),
        duplicate_window=timedelta(
            hours=float(config.get("RISK_DUPLICATE_WINDOW_HOURS", DEFAULT_DUPLICATE_WINDOW_HOURS))
        ),
        disabled=frozenset(config.get("RISK_RULES_DISABLED", ())),
    )


def basket_key(basket: Basket) -> str:
    """A short fingerprint of a basket, stored on the order (`Order.basket_key`) and indexed with the
    phone, so finding a duplicate is one index lookup however many orders the phone has."""
    canonical = ";".join(f"{sku}:{quantity}" for sku, quantity in basket)
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest() if canonical else ""


def risk_assess(
    *,
    payment_kind: str,
    phone: str,
    email: str,
    ship_country: str,
    currency: str,
    total: Decimal,
    lines: Iterable[tuple[str, int]],
    now: datetime,
    before_order_id: int | None = None,
    rules: RiskSettings | None = None,
) -> list[RiskFlag]:
    """The flags of an order about to be written (or, with before_order_id, of an existing order as
    seen against the orders placed before it).

    A few small queries, each bounded by an index whatever the customer's history (a marketplace may
    send thousands of orders with one phone): EXISTS for an earlier order, a count on the partial
    index of refused orders (cash on delivery only), and the phone + basket index for duplicates. As
    in the back office's first/repeat buyer, the customer is the same phone or the same non-empty
    email, and cancelled orders do not make a repeat buyer.
    """
    rules = rules or risk_settings()
    basket = basket_of(lines)
    # One statement (core/rawsql.py), each part bounded by an index: placing an order runs it.
    q, orders = rawsql.q, rawsql.table(Order)
    before, before_params = (
        ("", []) if before_order_id is None else (f" AND {q('id')} < %s", [before_order_id])
    )
    not_cancelled = f"{q('status')} <> %s"
    cancelled = OrderStatus.CANCELLED.value
    # PostgreSQL matches a UNION's column types branch by branch: typed NULLs.
    no_count, no_number = "CAST(NULL AS bigint)", "CAST(NULL AS varchar)"
    # Rows tagged by what they answer: 'p'/'e' an earlier order with the same phone / email (each an
    # EXISTS that stops at the first row of its index, rather than one OR), 'r' the count of refused
    # orders (cash on delivery only), 'd' the recent orders with the same phone and basket.
    parts = [
        f"SELECT 'p', {no_count}, {no_number} FROM (SELECT 1 FROM {orders} WHERE {q('customer_phone')} = %s "
        f"AND {not_cancelled}{before} LIMIT 1) p"
    ]
    params: list[Any] = [phone, cancelled, *before_params]
    if email:
        parts.append(
            f"SELECT 'e', {no_count}, {no_number} FROM (SELECT 1 FROM {orders} WHERE {q('customer_email')} = %s "
            f"AND {not_cancelled}{before} LIMIT 1) e"
        )
        params += [email, cancelled, *before_params]
    if payment_kind == PaymentKind.COD and COD_WITH_REFUSALS not in rules.disabled:
        same_customer = f"{q('customer_phone')} = %s" + (f" OR {q('customer_email')} = %s" if email else "")
        parts.append(
            f"SELECT 'r', COUNT(*), {no_number} FROM {orders} WHERE ({same_customer}) AND {q('status')} = %s{before}"
        )
        params += [phone, *([email] if email else []), OrderStatus.REFUSED.value, *before_params]
    key = basket_key(basket)
    if key and DUPLICATE_ORDER not in rules.disabled:
        since = connection.ops.adapt_datetimefield_value(now - rules.duplicate_window)
        parts.append(
            f"SELECT 'd', {q('id')}, {q('number')} FROM (SELECT {q('id')}, {q('number')} FROM {orders} "
            f"WHERE {q('basket_key')} = %s AND {q('created_at')} >= %s AND {q('customer_phone')} = %s "
            f"AND {not_cancelled}{before} ORDER BY {q('id')} DESC LIMIT %s) d"
        )
        params += [key, since, phone, cancelled, *before_params, MAX_DUPLICATES_SHOWN]
    rows = rawsql.fetch_all(" UNION ALL ".join(parts), params)
    repeat = any(tag in ("p", "e") for tag, _count, _number in rows)
    refused = next((int(count) for tag, count, _number in rows if tag == "r"), 0)
    recent: list[tuple[str, Basket]] = [
        (number, basket) for _id, number in sorted((int(i), n) for tag, i, n in rows if tag == "d")
    ]
    data = RiskInput(
        payment_kind=payment_kind,
        phone=phone,
        ship_country=ship_country,
        currency=currency,
        total=total,
        basket=basket,
        earlier_orders=1 if repeat else 0,
        earlier_refused=refused,
        recent_same_phone=recent,
    )
    return evaluate(data, rules)


# --- Errors -------------------------------------------------------------------------------------------


class RiskReviewRequired(Conflict):
    code = "risk_review_required"
    default_message = _("The order has risk flags; a manager must review it before it goes to the warehouse.")


class RiskNotFlagged(Conflict):
    code = "risk_not_flagged"
    default_message = _("The order has no risk flags to review.")


class RiskAlreadyReviewed(Conflict):
    code = "risk_already_reviewed"
    default_message = _("The order's risk flags were already reviewed.")
