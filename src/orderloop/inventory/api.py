"""Inventory API: warehouses, bin locations, stock rows, adjustments, counts and the ledger.

Each handler checks the role, parses, calls one selector or service and shapes the answer; the rules
(and their errors, e.g. 409 stock_below_reserved) live in services.py.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from orderloop.core.api_auth import require_perm
from orderloop.core.pagination import keyset_page

from . import selectors, services
from .models import BinLocation, StockLevel, StockMovement, Warehouse
from .schemas import (
    AdjustmentIn,
    BinAssignIn,
    BinIn,
    BinOut,
    CountIn,
    MovementOut,
    MovementPageOut,
    StockPageOut,
    StockRowOut,
    WarehouseIn,
    WarehouseOut,
    WarehousePatch,
)

warehouses_router = Router(tags=["inventory"])
stock_router = Router(tags=["inventory"])


def stock_out(stock: StockLevel) -> StockRowOut:
    return StockRowOut(
        sku=stock.variant.sku,
        warehouse=stock.warehouse.code,
        on_hand=stock.on_hand,
        reserved=stock.reserved,
        available=stock.available,
        incoming=stock.incoming,
        bin=stock.bin.code if stock.bin_id and stock.bin else None,
        low=selectors.is_low(stock),
    )


def movement_out(movement: StockMovement) -> MovementOut:
    return MovementOut(
        id=movement.pk,
        created_at=movement.created_at,
        sku=movement.stock.variant.sku,
        warehouse=movement.stock.warehouse.code,
        reason=movement.reason,
        on_hand_delta=movement.on_hand_delta,
        reserved_delta=movement.reserved_delta,
        on_hand_after=movement.on_hand_after,
        reserved_after=movement.reserved_after,
        reference=movement.reference,
        note=movement.note,
        actor=movement.actor.get_username() if movement.actor else None,
    )


def _fresh_row(stock: StockLevel) -> StockRowOut:
    row = selectors.stock_levels().select_related("bin").get(pk=stock.pk)
    return stock_out(row)


# --- Warehouses ------------------------------------------------------------------------------------


@warehouses_router.get("", response=list[WarehouseOut], summary="List warehouses")
def warehouse_list(request: HttpRequest) -> list[Warehouse]:
    require_perm(request, "inventory.view_warehouse")
    return list(selectors.warehouses())


@warehouses_router.post("", response={201: WarehouseOut}, summary="Create a warehouse")
def warehouse_create(request: HttpRequest, payload: WarehouseIn) -> tuple[int, Warehouse]:
    require_perm(request, "inventory.add_warehouse")
    return 201, services.warehouse_create(**payload.dict(), actor=request.user)


@warehouses_router.get("/{code}", response=WarehouseOut, summary="One warehouse")
def warehouse_detail(request: HttpRequest, code: str) -> Warehouse:
    require_perm(request, "inventory.view_warehouse")
    return selectors.warehouse_by_code(code)


@warehouses_router.patch("/{code}", response=WarehouseOut, summary="Change a warehouse")
def warehouse_update(request: HttpRequest, code: str, payload: WarehousePatch) -> Warehouse:
    require_perm(request, "inventory.change_warehouse")
    warehouse = selectors.warehouse_by_code(code)
    return services.warehouse_update(
        warehouse=warehouse, actor=request.user, **payload.dict(exclude_unset=True)
    )


@warehouses_router.get("/{code}/bins", response=list[BinOut], summary="Bin locations in pick-route order")
def bin_list(request: HttpRequest, code: str) -> list[BinLocation]:
    require_perm(request, "inventory.view_binlocation")
    return list(selectors.warehouse_bins(warehouse=selectors.warehouse_by_code(code)))


@warehouses_router.post("/{code}/bins", response={201: BinOut}, summary="Add a bin location")
def bin_create(request: HttpRequest, code: str, payload: BinIn) -> tuple[int, BinLocation]:
    require_perm(request, "inventory.add_binlocation")
    warehouse = selectors.warehouse_by_code(code)
    return 201, services.bin_create(warehouse=warehouse, **payload.dict(), actor=request.user)


# --- Stock -----------------------------------------------------------------------------------------


@stock_router.get("", response=StockPageOut, summary="Stock rows per warehouse")
def stock_list(
    request: HttpRequest,
    sku: str | None = None,
    warehouse: str | None = None,
    low: bool = False,
    cursor: str | None = None,
    limit: int = 100,
) -> StockPageOut:
    """`sku` (a SKU or barcode) and `warehouse` (a code) narrow the rows; `low=true` keeps low stock."""
    require_perm(request, "inventory.view_stocklevel")
    variant = selectors.variant_by_code(sku) if sku is not None else None
    warehouse_code = selectors.warehouse_by_code(warehouse).code if warehouse is not None else None
    rows = selectors.stock_levels(
        variant_id=variant.pk if variant else None, warehouse_code=warehouse_code, low_only=low
    )
    page = keyset_page(rows, cursor=cursor, limit=limit)
    return StockPageOut(items=[stock_out(row) for row in page.items], next_cursor=page.next_cursor)


@stock_router.post("/adjustments", response={201: StockRowOut}, summary="Adjust on-hand stock")
def stock_adjust(request: HttpRequest, payload: AdjustmentIn) -> tuple[int, StockRowOut]:
    require_perm(request, "inventory.adjust_stock")
    variant = selectors.variant_by_code(payload.sku)
    warehouse = selectors.warehouse_by_code(payload.warehouse)
    stock = services.stock_adjust(
        variant=variant,
        warehouse=warehouse,
        delta=payload.quantity,
        reason=payload.reason.value,
        actor=request.user,
        reference=payload.reference,
        note=payload.note,
    )
    return 201, _fresh_row(stock)


@stock_router.post("/counts", response={201: StockRowOut}, summary="Record a cycle count")
def stock_count(request: HttpRequest, payload: CountIn) -> tuple[int, StockRowOut]:
    require_perm(request, "inventory.count_stock")
    variant = selectors.variant_by_code(payload.sku)
    warehouse = selectors.warehouse_by_code(payload.warehouse)
    stock = services.stock_count(
        variant=variant, warehouse=warehouse, counted=payload.counted, actor=request.user, note=payload.note
    )
    return 201, _fresh_row(stock)


@stock_router.put("/bin", response=StockRowOut, summary="Assign a variant's bin in a warehouse")
def stock_assign_bin(request: HttpRequest, payload: BinAssignIn) -> StockRowOut:
    require_perm(request, "inventory.change_binlocation")
    variant = selectors.variant_by_code(payload.sku)
    warehouse = selectors.warehouse_by_code(payload.warehouse)
    bin = selectors.bin_by_code(warehouse=warehouse, code=payload.bin) if payload.bin else None
    stock = services.stock_assign_bin(variant=variant, warehouse=warehouse, bin=bin, actor=request.user)
    return _fresh_row(stock)


@stock_router.get("/movements", response=MovementPageOut, summary="The stock ledger, newest first")
def stock_movements(
    request: HttpRequest,
    sku: str | None = None,
    warehouse: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> MovementPageOut:
    require_perm(request, "inventory.view_stockmovement")
    variant = selectors.variant_by_code(sku) if sku is not None else None
    warehouse_code = selectors.warehouse_by_code(warehouse).code if warehouse is not None else None
    movements = selectors.stock_movements(sku=variant.sku if variant else None, warehouse_code=warehouse_code)
    page = selectors.newest_first_page(movements, cursor=cursor, limit=limit)
    return MovementPageOut(
        items=[movement_out(movement) for movement in page.items], next_cursor=page.next_cursor
    )
