"""Every write to stock. Each change of on_hand or reserved is one conditional UPDATE (no read-then-write)
plus one ledger row, in one transaction. Zero rows updated means the rule did not hold: we raise and the
transaction rolls back, so nothing is half-written. A change whose available quantity crosses the row's
reorder point or zero also records a stock-level event (levels.py).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from orderloop.catalog.models import Variant
from orderloop.core import rawsql
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.text import clean_text

from .errors import (
    DuplicateBin,
    DuplicateWarehouse,
    InsufficientStock,
    InvalidQuantity,
    StockBelowReserved,
)
from .levels import LevelChange, record_crossings
from .models import BinLocation, MovementReason, StockLevel, StockMovement, Warehouse
from .selectors import country_codes

Actor = AbstractBaseUser | AnonymousUser | None

MANUAL_REASONS = (MovementReason.RECEIPT, MovementReason.ADJUSTMENT, MovementReason.RETURN)

# Bounds that keep every quantity far inside a 32-bit integer column on every engine.
MAX_ADJUSTMENT = 1_000_000
MAX_ON_HAND = 1_000_000_000

_SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


def _stock_row(*, variant: Variant, warehouse: Warehouse) -> StockLevel:
    stock, _created = StockLevel.objects.get_or_create(variant=variant, warehouse=warehouse)
    return stock


def _record(
    stock_id: int,
    *,
    reason: str,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    actor: Actor,
    reference: str = "",
    note: str = "",
) -> StockLevel:
    stock = StockLevel.objects.get(pk=stock_id)
    StockMovement.objects.create(
        stock=stock,
        reason=reason,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=stock.on_hand,
        reserved_after=stock.reserved,
        reference=clean_text(reference, 100),
        note=clean_text(note, 255),
        actor_id=_actor_id(actor),
    )
    record_crossings(
        [
            LevelChange(
                stock_id=stock.pk,
                available_before=stock.available - on_hand_delta + reserved_delta,
                on_hand=stock.on_hand,
                reserved=stock.reserved,
                low_stock_threshold=stock.low_stock_threshold,
                reason=reason,
            )
        ],
        actor=actor,
    )
    return stock


def stock_adjust(
    *,
    variant: Variant,
    warehouse: Warehouse,
    delta: int,
    reason: str = MovementReason.ADJUSTMENT,
    actor: Actor,
    reference: str = "",
    note: str = "",
) -> StockLevel:
    """Change on_hand by a signed delta. Refuses to take on_hand below what is reserved."""
    if delta == 0:
        raise InvalidQuantity(details={"quantity": "must not be zero"})
    if abs(delta) > MAX_ADJUSTMENT:
        raise InvalidQuantity(details={"quantity": f"must be between -{MAX_ADJUSTMENT} and {MAX_ADJUSTMENT}"})
    if reason not in MovementReason.values:
        raise InvalidQuantity(details={"reason": f"unknown reason {reason!r}"})
    with transaction.atomic():
        stock = _stock_row(variant=variant, warehouse=warehouse)
        updated = StockLevel.objects.filter(
            pk=stock.pk, on_hand__gte=F("reserved") - delta, on_hand__lte=MAX_ON_HAND - delta
        ).update(on_hand=F("on_hand") + delta)
        if not updated:
            current = StockLevel.objects.get(pk=stock.pk)
            if current.on_hand + delta > MAX_ON_HAND:
                raise InvalidQuantity(details={"quantity": f"on hand would exceed {MAX_ON_HAND}"})
            raise StockBelowReserved(
                details={
                    "sku": variant.sku,
                    "warehouse": warehouse.code,
                    "on_hand": current.on_hand,
                    "reserved": current.reserved,
                    "requested_change": delta,
                }
            )
        return _record(
            stock.pk, reason=reason, on_hand_delta=delta, actor=actor, reference=reference, note=note
        )


def stock_count(
    *, variant: Variant, warehouse: Warehouse, counted: int, actor: Actor, note: str = ""
) -> StockLevel:
    """Record a cycle count: on_hand becomes `counted`, the difference goes to the ledger as a count.

    The row is locked first so the difference is computed against the quantity we then overwrite.
    """
    if counted < 0:
        raise InvalidQuantity(details={"counted": "must be zero or more"})
    if counted > MAX_ON_HAND:
        raise InvalidQuantity(details={"counted": f"must be at most {MAX_ON_HAND}"})
    with transaction.atomic():
        stock = _stock_row(variant=variant, warehouse=warehouse)
        locked = StockLevel.objects.select_for_update().get(pk=stock.pk)
        delta = counted - locked.on_hand
        if delta == 0:
            return locked
        if counted < locked.reserved:
            raise StockBelowReserved(
                details={
                    "sku": variant.sku,
                    "warehouse": warehouse.code,
                    "counted": counted,
                    "reserved": locked.reserved,
                }
            )
        StockLevel.objects.filter(pk=locked.pk).update(on_hand=counted)
        return _record(locked.pk, reason=MovementReason.COUNT, on_hand_delta=delta, actor=actor, note=note)


def _move_reserved(stock_id: int, *, delta: int) -> tuple[int, int, int | None] | None:
    """`reserved += delta` in one conditional UPDATE (reserving: only while on hand covers it; releasing:
    only what is reserved), returning the row's (on_hand, reserved, low_stock_threshold) after it, or
    None when the rule did not hold. RETURNING (PostgreSQL, SQLite ≥ 3.35) saves reading the row back for
    the ledger and the stock-level events."""
    on_hand, reserved = rawsql.column(StockLevel, "on_hand"), rawsql.column(StockLevel, "reserved")
    guard = f"{on_hand} >= {reserved} + %s" if delta > 0 else f"{reserved} >= %s"
    row = rawsql.fetch_one(
        f"UPDATE {rawsql.table(StockLevel)} SET {reserved} = {reserved} + %s "
        f"WHERE {rawsql.column(StockLevel, 'id')} = %s AND {guard} "
        f"RETURNING {on_hand}, {reserved}, {rawsql.column(StockLevel, 'low_stock_threshold')}",
        [delta, stock_id, abs(delta)],
    )
    return (int(row[0]), int(row[1]), None if row[2] is None else int(row[2])) if row else None


def _ledger_row(
    stock_id: int,
    after: tuple[int, int, int | None],
    *,
    reason: str,
    reserved_delta: int,
    actor: Actor,
    reference: str,
) -> StockLevel:
    movement = StockMovement(
        stock_id=stock_id,
        reason=reason,
        reserved_delta=reserved_delta,
        on_hand_after=after[0],
        reserved_after=after[1],
        reference=clean_text(reference, 100),
        actor_id=_actor_id(actor),
    )
    rawsql.insert([movement])  # one per reservation and release: a hot spot of placing an order
    record_crossings(
        [
            LevelChange(
                stock_id=stock_id,
                available_before=after[0] - after[1] + reserved_delta,
                on_hand=after[0],
                reserved=after[1],
                low_stock_threshold=after[2],
                reason=reason,
            )
        ],
        actor=actor,
    )
    return StockLevel(pk=stock_id, on_hand=after[0], reserved=after[1])


def _in_transaction() -> contextlib.AbstractContextManager[Any]:
    """Inside the caller's transaction, no savepoint of our own: the refusal below is raised before
    anything is written, so the caller's transaction stays usable. Alone, a transaction of its own."""
    return contextlib.nullcontext() if connection.in_atomic_block else transaction.atomic()


def stock_reserve(*, stock_id: int, quantity: int, actor: Actor, reference: str) -> StockLevel:
    """Reserve units of one stock row for an order line; refuses (InsufficientStock) rather than oversell.

    Callers reserving several rows must call this in ascending stock_id order inside their own
    transaction, so two orders never wait on each other's rows in opposite orders (no deadlock).
    Returns the row's quantities after the change (on_hand, reserved).
    """
    if quantity <= 0:
        raise InvalidQuantity(details={"quantity": "must be positive"})
    with _in_transaction():
        after = _move_reserved(stock_id, delta=quantity)
        if after is None:
            raise InsufficientStock(details={"stock_id": stock_id, "requested": quantity})
        return _ledger_row(
            stock_id,
            after,
            reason=MovementReason.RESERVATION,
            reserved_delta=quantity,
            actor=actor,
            reference=reference,
        )


def stock_reserve_many(
    takes: Sequence[tuple[int, int]], *, actor: Actor, reference: str
) -> dict[int, tuple[int, int]]:
    """Reserve (stock_id, quantity) takes in one conditional UPDATE and write their ledger rows in one
    INSERT; all or nothing, refusing (InsufficientStock) rather than oversell. Inside the caller's
    transaction, which should hold the rows' locks already (orders/locks.py), as placing an order does.
    Returns each row's (on_hand, reserved) after the change.
    """
    wanted: dict[int, int] = {}
    for stock_id, quantity in takes:
        if quantity <= 0:
            raise InvalidQuantity(details={"quantity": "must be positive"})
        wanted[stock_id] = wanted.get(stock_id, 0) + quantity
    if not wanted:
        return {}
    with _in_transaction():
        after = _reserve_rows(wanted)
        short = sorted(set(wanted) - set(after))
        if short:
            raise InsufficientStock(details={"stock_id": short[0], "requested": wanted[short[0]]})
        rawsql.insert(
            [
                StockMovement(
                    stock_id=stock_id,
                    reason=MovementReason.RESERVATION,
                    reserved_delta=quantity,
                    on_hand_after=after[stock_id][0],
                    reserved_after=after[stock_id][1],
                    reference=clean_text(reference, 100),
                    actor_id=_actor_id(actor),
                )
                for stock_id, quantity in sorted(wanted.items())
            ]
        )
        record_crossings(
            [
                LevelChange(
                    stock_id=stock_id,
                    available_before=after[stock_id][0] - after[stock_id][1] + quantity,
                    on_hand=after[stock_id][0],
                    reserved=after[stock_id][1],
                    low_stock_threshold=after[stock_id][2],
                    reason=MovementReason.RESERVATION,
                )
                for stock_id, quantity in sorted(wanted.items())
            ],
            actor=actor,
        )
        return {stock_id: (row[0], row[1]) for stock_id, row in after.items()}


def _reserve_rows(wanted: dict[int, int]) -> dict[int, tuple[int, int, int | None]]:
    """`reserved += quantity` on every row that still has it available, in one statement; the rows
    changed, with their (on_hand, reserved, low_stock_threshold) after it. One row is a plain conditional UPDATE; several
    join a VALUES list (`column1`, `column2` on both engines)."""
    if len(wanted) == 1:
        [(stock_id, quantity)] = wanted.items()
        moved = _move_reserved(stock_id, delta=quantity)
        return {stock_id: moved} if moved is not None else {}
    stock = rawsql.table(StockLevel)
    on_hand, reserved = rawsql.column(StockLevel, "on_hand"), rawsql.column(StockLevel, "reserved")
    values = ", ".join(["(CAST(%s AS bigint), CAST(%s AS integer))"] * len(wanted))
    rows = rawsql.fetch_all(
        f"UPDATE {stock} SET {reserved} = {stock}.{reserved} + v.column2 FROM (VALUES {values}) AS v "
        f"WHERE {stock}.{rawsql.column(StockLevel, 'id')} = v.column1 "
        f"AND {stock}.{on_hand} >= {stock}.{reserved} + v.column2 "
        f"RETURNING {stock}.{rawsql.column(StockLevel, 'id')}, {stock}.{on_hand}, {stock}.{reserved}, "
        f"{stock}.{rawsql.column(StockLevel, 'low_stock_threshold')}",
        [value for item in sorted(wanted.items()) for value in item],
    )
    return {
        int(stock_id): (int(hand), int(held), None if threshold is None else int(threshold))
        for stock_id, hand, held, threshold in rows
    }


def stock_release(*, stock_id: int, quantity: int, actor: Actor, reference: str) -> StockLevel:
    """Give reserved units back to available stock (order cancelled or edited)."""
    if quantity <= 0:
        raise InvalidQuantity(details={"quantity": "must be positive"})
    with _in_transaction():
        after = _move_reserved(stock_id, delta=-quantity)
        if after is None:
            raise InvalidQuantity(details={"quantity": "more than is reserved"})
        return _ledger_row(
            stock_id,
            after,
            reason=MovementReason.RELEASE,
            reserved_delta=-quantity,
            actor=actor,
            reference=reference,
        )


def stock_ship(*, stock_id: int, quantity: int, actor: Actor, reference: str) -> StockLevel:
    """Reserved units leave the warehouse with a parcel handed to the carrier: on_hand and reserved both
    go down by `quantity` in one conditional UPDATE (a SHIPMENT ledger row). Refuses (InvalidQuantity)
    when fewer units are reserved, so a parcel handed over twice cannot take stock twice."""
    if quantity <= 0:
        raise InvalidQuantity(details={"quantity": "must be positive"})
    with transaction.atomic():
        updated = StockLevel.objects.filter(
            pk=stock_id, reserved__gte=quantity, on_hand__gte=quantity
        ).update(on_hand=F("on_hand") - quantity, reserved=F("reserved") - quantity)
        if not updated:
            raise InvalidQuantity(details={"quantity": "more than is reserved"})
        return _record(
            stock_id,
            reason=MovementReason.SHIPMENT,
            on_hand_delta=-quantity,
            reserved_delta=-quantity,
            actor=actor,
            reference=reference,
        )


def stock_receive(
    *,
    variant: Variant,
    warehouse: Warehouse,
    quantity: int,
    incoming_cleared: int = 0,
    actor: Actor,
    reference: str = "",
    note: str = "",
) -> StockLevel:
    """Goods arrived from a supplier: on_hand grows by `quantity` (a RECEIPT ledger row) and `incoming`
    shrinks by `incoming_cleared` (the part of the delivery that open purchase orders had announced),
    in one conditional UPDATE."""
    if quantity <= 0 or quantity > MAX_ADJUSTMENT:
        raise InvalidQuantity(details={"quantity": f"must be between 1 and {MAX_ADJUSTMENT}"})
    if not 0 <= incoming_cleared <= quantity:
        raise InvalidQuantity(details={"incoming_cleared": "must be between 0 and the quantity received"})
    with transaction.atomic():
        stock = _stock_row(variant=variant, warehouse=warehouse)
        updated = StockLevel.objects.filter(
            pk=stock.pk, incoming__gte=incoming_cleared, on_hand__lte=MAX_ON_HAND - quantity
        ).update(on_hand=F("on_hand") + quantity, incoming=F("incoming") - incoming_cleared)
        if not updated:
            current = StockLevel.objects.get(pk=stock.pk)
            raise InvalidQuantity(
                details={
                    "sku": variant.sku,
                    "warehouse": warehouse.code,
                    "incoming": current.incoming,
                    "incoming_cleared": incoming_cleared,
                }
            )
        return _record(
            stock.pk,
            reason=MovementReason.RECEIPT,
            on_hand_delta=quantity,
            actor=actor,
            reference=reference,
            note=note,
        )


def stock_incoming_change(*, variant: Variant, warehouse: Warehouse, delta: int) -> StockLevel:
    """Change what open purchase orders will bring (`incoming`) by a signed delta; never below zero.

    `incoming` is a forecast, not stock: it has no ledger row (the ledger records on_hand and reserved);
    purchasing keeps it equal to the open purchase orders (purchasing.selectors.incoming_mismatches)."""
    if delta == 0:
        raise InvalidQuantity(details={"quantity": "must not be zero"})
    with transaction.atomic():
        stock = _stock_row(variant=variant, warehouse=warehouse)
        updated = StockLevel.objects.filter(
            pk=stock.pk, incoming__gte=-delta, incoming__lte=MAX_ON_HAND - delta
        ).update(incoming=F("incoming") + delta)
        if not updated:
            raise InvalidQuantity(
                details={"sku": variant.sku, "warehouse": warehouse.code, "incoming_change": delta}
            )
        return StockLevel.objects.get(pk=stock.pk)


def stock_assign_bin(
    *, variant: Variant, warehouse: Warehouse, bin: BinLocation | None, actor: Actor
) -> StockLevel:
    """Say where a variant lives in a warehouse (None clears it). Quantities are not touched, so no
    ledger row; a stock row is created (at zero) when the variant has never been in this warehouse."""
    if bin is not None and bin.warehouse_id != warehouse.pk:
        raise InvalidInput(details={"bin": "belongs to another warehouse"})
    with transaction.atomic():
        stock = _stock_row(variant=variant, warehouse=warehouse)
        StockLevel.objects.filter(pk=stock.pk).update(bin=bin)
        stock.refresh_from_db()
        return stock


def stock_set_bin(*, stock: StockLevel, bin_id: int | None) -> StockLevel:
    bin = BinLocation.objects.get(pk=bin_id) if bin_id is not None else None
    return stock_assign_bin(variant=stock.variant, warehouse=stock.warehouse, bin=bin, actor=None)


# --- Warehouses and bin locations ----------------------------------------------------------------


def _warehouse_errors(values: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "code" in values:
        code = values["code"]
        if not code:
            errors["code"] = _("This field is required.")
        elif len(code) > 20 or not _SLUG_RE.match(code):
            errors["code"] = _("Use up to 20 letters, digits, hyphens or underscores.")
    if "name" in values and not values["name"]:
        errors["name"] = _("This field is required.")
    if "country" in values and values["country"] not in country_codes():
        errors["country"] = _("Use a two-letter ISO 3166 country code, e.g. UA or SE.")
    if "priority" in values and not 0 <= values["priority"] <= 1_000_000:
        errors["priority"] = _("Use a number from 0 to 1000000.")
    return errors


_WAREHOUSE_TEXT_LENGTHS = {"name": 120, "address_line": 200, "city": 100, "postal_code": 20}


def _warehouse_values(raw: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, value in raw.items():
        if value is None:
            continue
        if field == "code":
            values[field] = clean_text(value, 100)
        elif field == "country":
            values[field] = clean_text(value, 10).upper()
        elif field in _WAREHOUSE_TEXT_LENGTHS:
            values[field] = clean_text(value, _WAREHOUSE_TEXT_LENGTHS[field])
        else:
            values[field] = value
    errors = _warehouse_errors(values)
    if errors:
        raise InvalidInput(details=errors)
    return values


def warehouse_create(
    *,
    code: str,
    name: str,
    country: str,
    address_line: str = "",
    city: str = "",
    postal_code: str = "",
    priority: int = 100,
    is_active: bool = True,
    actor: Actor,
) -> Warehouse:
    """Create a warehouse. Codes are unique regardless of letter case (409 duplicate_warehouse)."""
    values = _warehouse_values(
        {
            "code": code,
            "name": name,
            "country": country,
            "address_line": address_line,
            "city": city,
            "postal_code": postal_code,
            "priority": priority,
            "is_active": is_active,
        }
    )
    with transaction.atomic():
        if Warehouse.objects.filter(code__iexact=values["code"]).exists():
            raise DuplicateWarehouse(details={"code": values["code"]})
        try:
            with transaction.atomic():
                return Warehouse.objects.create(**values)
        except IntegrityError as exc:  # a concurrent create won the race
            raise DuplicateWarehouse(details={"code": values["code"]}) from exc


def warehouse_update(
    *,
    warehouse: Warehouse,
    actor: Actor,
    code: str | None = None,
    name: str | None = None,
    country: str | None = None,
    address_line: str | None = None,
    city: str | None = None,
    postal_code: str | None = None,
    priority: int | None = None,
    is_active: bool | None = None,
) -> Warehouse:
    """Change the fields given (None leaves a field as it is)."""
    values = _warehouse_values(
        {
            "code": code,
            "name": name,
            "country": country,
            "address_line": address_line,
            "city": city,
            "postal_code": postal_code,
            "priority": priority,
            "is_active": is_active,
        }
    )
    with transaction.atomic():
        if (
            "code" in values
            and Warehouse.objects.filter(code__iexact=values["code"]).exclude(pk=warehouse.pk).exists()
        ):
            raise DuplicateWarehouse(details={"code": values["code"]})
        try:
            with transaction.atomic():
                Warehouse.objects.filter(pk=warehouse.pk).update(**values)
        except IntegrityError as exc:
            raise DuplicateWarehouse(details={"code": values.get("code")}) from exc
    warehouse.refresh_from_db()
    return warehouse


def bin_code_for(*, zone: str, aisle: str, shelf: str, bin: str) -> str:
    """`A`, `1`, `2`, `3` → `A-01-02-03`: numbers padded to two digits so codes sort as they read."""

    def part(value: str) -> str:
        return value.zfill(2) if value.isdigit() else value.upper()

    return "-".join([zone.upper(), part(aisle), part(shelf), part(bin)])


def bin_create(
    *,
    warehouse: Warehouse,
    zone: str,
    aisle: str,
    shelf: str,
    bin: str,
    code: str | None = None,
    route_order: int | None = None,
    actor: Actor,
) -> BinLocation:
    """Add a bin location. Without a code one is derived (`A-01-02-03`); without a route order the bin
    goes at the end of the pick route. Codes are unique per warehouse (409 duplicate_bin)."""
    parts = {
        "zone": clean_text(zone, 100),
        "aisle": clean_text(aisle, 100),
        "shelf": clean_text(shelf, 100),
        "bin": clean_text(bin, 100),
    }
    errors: dict[str, str] = {}
    for field, value in parts.items():
        if not value:
            errors[field] = _("This field is required.")
        elif len(value) > 10:
            errors[field] = _("Use at most 10 characters.")
    final_code = clean_text(code, 100) or (bin_code_for(**parts) if not errors else "")
    if len(final_code) > 50:
        errors["code"] = _("Use at most 50 characters.")
    if route_order is not None and not 0 <= route_order <= 1_000_000_000:
        errors["route_order"] = _("Use a number from 0 to 1000000000.")
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        # Lock the warehouse row: bins of one warehouse are created one at a time, so the route order
        # "at the end" and the duplicate check cannot race.
        Warehouse.objects.select_for_update().filter(pk=warehouse.pk).first()
        if BinLocation.objects.filter(warehouse=warehouse, code__iexact=final_code).exists():
            raise DuplicateBin(details={"warehouse": warehouse.code, "code": final_code})
        if route_order is None:
            last = BinLocation.objects.filter(warehouse=warehouse).aggregate(m=Max("route_order"))["m"]
            route_order = (last or 0) + 10
        try:
            with transaction.atomic():
                return BinLocation.objects.create(
                    warehouse=warehouse, code=final_code, route_order=route_order, **parts
                )
        except IntegrityError as exc:
            raise DuplicateBin(details={"warehouse": warehouse.code, "code": final_code}) from exc
