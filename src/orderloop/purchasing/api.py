"""Purchasing API: suppliers and their price lists (`/suppliers`), reorder rules (`/reorder-rules`),
replenishment suggestions (`/replenishment`), purchase orders and their receipts (`/purchase-orders`).

Each handler checks the role, parses, calls one service or selector and shapes the answer. POSTs that
create a purchase order or a receipt take an `Idempotency-Key` (a retried receipt never receives twice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Header, Router
from ninja.files import UploadedFile

from orderloop.catalog.csv_io import CsvFormatError, decode_upload
from orderloop.core.api_auth import require_perm
from orderloop.core.errors import InvalidInput
from orderloop.core.idempotency import run_idempotent
from orderloop.core.money import Money
from orderloop.core.pagination import keyset_page
from orderloop.inventory import selectors as inventory_selectors
from orderloop.orders import backorders

from . import domain, selectors, services
from .models import PurchaseOrder, Receipt, ReorderRule, Supplier, SupplierItem
from .pdf import render_purchase_order_pdf
from .schemas import (
    BackorderServedOut,
    CloseIn,
    DraftsIn,
    LineOut,
    LineSetIn,
    MoneyOut,
    NeedOut,
    PriceImportOut,
    PriceIn,
    PriceOut,
    PurchaseOrderEventOut,
    PurchaseOrderIn,
    PurchaseOrderOut,
    PurchaseOrderPageOut,
    PurchaseOrderPatch,
    PurchaseOrderReasonIn,
    ReceiptIn,
    ReceiptLineOut,
    ReceiptOut,
    ReorderRuleIn,
    ReorderRuleOut,
    SendIn,
    SuggestionOut,
    SupplierIn,
    SupplierOut,
    SupplierPageOut,
    SupplierPatch,
    dump,
)

suppliers_router = Router(tags=["purchasing"])
rules_router = Router(tags=["purchasing"])
replenishment_router = Router(tags=["purchasing"])
purchase_orders_router = Router(tags=["purchasing"])

MAX_PRICE_LIST_BYTES = 5 * 1024 * 1024


def money_out(amount: Any, currency: str) -> MoneyOut:
    return MoneyOut(**Money.of(amount, currency).as_json())


def supplier_out(supplier: Supplier) -> SupplierOut:
    return SupplierOut(
        code=supplier.code,
        name=supplier.name,
        currency=supplier.currency,
        email=supplier.email,
        contact_name=supplier.contact_name,
        phone=supplier.phone,
        address=supplier.address,
        language=supplier.language,
        lead_time_days=supplier.lead_time_days,
        min_order_quantity=supplier.min_order_quantity,
        pack_size=supplier.pack_size,
        buyer=supplier.buyer.get_username() if supplier.buyer else None,
        notes=supplier.notes,
        is_active=supplier.is_active,
    )


def price_out(item: SupplierItem) -> PriceOut:
    return PriceOut(
        id=item.pk,
        supplier=item.supplier.code,
        sku=item.variant.sku,
        supplier_sku=item.supplier_sku,
        price=money_out(item.price_amount, item.currency),
        min_order_quantity=item.effective_moq,
        pack_size=item.effective_pack_size,
        lead_time_days=item.effective_lead_time,
        preferred=item.is_preferred,
    )


def rule_out(rule: ReorderRule) -> ReorderRuleOut:
    return ReorderRuleOut(
        id=rule.pk,
        sku=rule.variant.sku,
        warehouse=rule.warehouse.code,
        method=rule.method,
        min_quantity=rule.min_quantity,
        max_quantity=rule.max_quantity,
        safety_stock=rule.safety_stock,
        velocity_days=rule.velocity_days,
        review_days=rule.review_days,
        responsible=rule.responsible.get_username() if rule.responsible else None,
        is_active=rule.is_active,
    )


def po_out(po: PurchaseOrder, *, fresh: bool = True) -> PurchaseOrderOut:
    """The answer for one purchase order; `fresh` re-reads it (services update some columns in SQL)."""
    if fresh:
        po = selectors.purchase_order_by_number(po.number)
    return PurchaseOrderOut(
        number=po.number,
        supplier=po.supplier.code,
        warehouse=po.warehouse.code,
        status=po.status,
        currency=po.currency,
        total=money_out(po.total_amount, po.currency),
        expected_date=po.expected_date,
        note=po.note,
        sent_at=po.sent_at,
        created_at=po.created_at,
        allowed_next=domain.allowed_next(po.status),
        lines=[
            LineOut(
                id=line.pk,
                position=line.position,
                sku=line.sku,
                supplier_sku=line.supplier_sku,
                name=line.name,
                quantity_ordered=line.quantity_ordered,
                quantity_received=line.quantity_received,
                remaining=line.remaining,
                over=line.over,
                unit_price=money_out(line.unit_price_amount, po.currency),
            )
            for line in po.lines.all()
        ],
        pdf_url=reverse("api-v1:purchase_order_pdf", kwargs={"number": po.number}),
    )


def receipt_out(receipt: Receipt) -> ReceiptOut:
    po = receipt.purchase_order
    return ReceiptOut(
        id=receipt.pk,
        purchase_order=po.number,
        status=PurchaseOrder.objects.values_list("status", flat=True).get(pk=po.pk),
        received_by=receipt.received_by.get_username() if receipt.received_by else None,
        created_at=receipt.created_at,
        note=receipt.note,
        lines=[
            ReceiptLineOut(sku=line.line.sku, quantity=line.quantity, over=line.over_quantity)
            for line in receipt.lines.select_related("line").order_by("line__position")
        ],
        allocated=[
            BackorderServedOut(order=item["order"], sku=item["sku"], quantity=item["quantity"])
            for item in receipt.allocations
        ],
    )


def _idempotent(
    request: HttpRequest, *, scope: str, key: str | None, body: Any, action: Callable[[], tuple[int, Any]]
) -> JsonResponse:
    answer = run_idempotent(scope=f"{scope}:{request.user.pk}", key=key, request_body=body, action=action)
    response = JsonResponse(answer.body, status=answer.status_code, safe=False)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# --- Suppliers ----------------------------------------------------------------------------------------


@suppliers_router.get("", response=SupplierPageOut, summary="List suppliers")
def supplier_list(
    request: HttpRequest,
    q: str | None = None,
    active: bool = False,
    cursor: str | None = None,
    limit: int = 100,
) -> SupplierPageOut:
    require_perm(request, "purchasing.view_supplier")
    page = keyset_page(selectors.suppliers(search=q, active_only=active), cursor=cursor, limit=limit)
    return SupplierPageOut(items=[supplier_out(s) for s in page.items], next_cursor=page.next_cursor)


@suppliers_router.post("", response={201: SupplierOut}, summary="Add a supplier")
def supplier_create(request: HttpRequest, payload: SupplierIn) -> tuple[int, SupplierOut]:
    require_perm(request, "purchasing.add_supplier")
    values = payload.dict()
    buyer = values.pop("buyer")
    supplier = services.supplier_create(**values, buyer_username=buyer, actor=request.user)
    return 201, supplier_out(supplier)


@suppliers_router.get("/{code}", response=SupplierOut, summary="One supplier")
def supplier_detail(request: HttpRequest, code: str) -> SupplierOut:
    require_perm(request, "purchasing.view_supplier")
    return supplier_out(selectors.supplier_by_code(code))


@suppliers_router.patch("/{code}", response=SupplierOut, summary="Change a supplier")
def supplier_update(request: HttpRequest, code: str, payload: SupplierPatch) -> SupplierOut:
    require_perm(request, "purchasing.change_supplier")
    values = payload.dict(exclude_unset=True)
    buyer = values.pop("buyer", None)
    supplier = services.supplier_update(
        supplier=selectors.supplier_by_code(code), actor=request.user, buyer_username=buyer, **values
    )
    return supplier_out(supplier)


@suppliers_router.get("/{code}/prices", response=list[PriceOut], summary="The supplier's price list")
def price_list(request: HttpRequest, code: str, q: str | None = None) -> list[PriceOut]:
    require_perm(request, "purchasing.view_supplieritem")
    supplier = selectors.supplier_by_code(code)
    return [price_out(item) for item in selectors.supplier_items(supplier=supplier, search=q)]


@suppliers_router.put("/{code}/prices", response=PriceOut, summary="Add or change one price-list row")
def price_set(request: HttpRequest, code: str, payload: PriceIn) -> PriceOut:
    require_perm(request, "purchasing.change_supplieritem")
    supplier = selectors.supplier_by_code(code)
    item = services.supplier_item_set(supplier=supplier, **payload.dict(), actor=request.user)
    return price_out(SupplierItem.objects.select_related("supplier", "variant").get(pk=item.pk))


@suppliers_router.delete(
    "/{code}/prices/{int:item_id}", response={204: None}, summary="Remove a price-list row"
)
def price_delete(request: HttpRequest, code: str, item_id: int) -> tuple[int, None]:
    require_perm(request, "purchasing.delete_supplieritem")
    supplier = selectors.supplier_by_code(code)
    item = selectors.supplier_items(supplier=supplier).filter(pk=item_id).first()
    services.supplier_item_delete(item_id=item.pk if item else 0, actor=request.user)
    return 204, None


@suppliers_router.post(
    "/{code}/prices/import",
    response={201: PriceImportOut},
    summary="Import a price list CSV (all or nothing)",
    description=(
        "Header row, `,` `;` or tab separated. Columns: `sku`, `price` (required); `currency` (default: "
        "the supplier's), `supplier_sku`, `moq`, `pack_size`, `lead_time_days`, `preferred` (yes/no). "
        "Any bad row: 422 `price_list_invalid`, `details` maps `row <n>.<column>` to a message, nothing "
        "is written."
    ),
)
def price_import(
    request: HttpRequest,
    code: str,
    file: UploadedFile = File(...),  # noqa: B008
) -> tuple[int, PriceImportOut]:
    require_perm(request, "purchasing.change_supplieritem")
    supplier = selectors.supplier_by_code(code)
    if file.size and file.size > MAX_PRICE_LIST_BYTES:
        raise InvalidInput(details={"file": _("At most 5 MB.")})
    try:
        content = decode_upload(file.read())
    except CsvFormatError as exc:
        raise InvalidInput(details={"file": str(exc)}) from None
    report = services.price_list_import(supplier=supplier, content=content, actor=request.user)
    return 201, PriceImportOut(rows=report.rows, created=report.created, updated=report.updated)


# --- Reorder rules ------------------------------------------------------------------------------------


@rules_router.get("", response=list[ReorderRuleOut], summary="Reorder rules")
def rule_list(
    request: HttpRequest, warehouse: str | None = None, q: str | None = None
) -> list[ReorderRuleOut]:
    require_perm(request, "purchasing.view_reorderrule")
    return [rule_out(rule) for rule in selectors.reorder_rules(warehouse_code=warehouse, search=q)]


@rules_router.put("", response=ReorderRuleOut, summary="Set the reorder rule of a variant in a warehouse")
def rule_set(request: HttpRequest, payload: ReorderRuleIn) -> ReorderRuleOut:
    require_perm(request, "purchasing.change_reorderrule")
    values = payload.dict()
    variant = inventory_selectors.variant_by_code(values.pop("sku"))
    warehouse = inventory_selectors.warehouse_by_code(values.pop("warehouse"))
    responsible = values.pop("responsible")
    rule = services.reorder_rule_set(
        variant=variant, warehouse=warehouse, responsible_username=responsible, actor=request.user, **values
    )
    return rule_out(selectors.reorder_rules().get(pk=rule.pk))


@rules_router.delete("/{int:rule_id}", response={204: None}, summary="Remove a reorder rule")
def rule_delete(request: HttpRequest, rule_id: int) -> tuple[int, None]:
    require_perm(request, "purchasing.delete_reorderrule")
    services.reorder_rule_delete(rule_id=rule_id, actor=request.user)
    return 204, None


# --- Replenishment -------------------------------------------------------------------------------------


def suggestion_out(suggestion: selectors.Suggestion) -> SuggestionOut:
    inputs, advice, item = suggestion.inputs, suggestion.advice, suggestion.item
    return SuggestionOut(
        key=suggestion.key,
        sku=suggestion.variant.sku,
        warehouse=suggestion.warehouse.code,
        method=inputs.method,
        supplier=item.supplier.code if item else None,
        unit_price=money_out(item.price_amount, item.currency) if item else None,
        available=inputs.available,
        incoming=inputs.incoming,
        on_draft=inputs.on_draft,
        backordered=inputs.backordered,
        sold_units=inputs.sold_units,
        velocity_days=inputs.velocity_days,
        velocity_per_day=str(advice.velocity),
        lead_time_days=inputs.lead_time_days,
        safety_stock=inputs.safety_stock,
        reorder_point=advice.trigger,
        target=advice.target,
        position=advice.position,
        needed=advice.needed,
        raw_quantity=advice.raw_quantity,
        moq=inputs.moq,
        pack_size=inputs.pack_size,
        quantity=advice.quantity,
        reasons=suggestion.reasons,
    )


def _filters(warehouse: str | None, supplier: str | None) -> tuple[int | None, int | None]:
    return (
        inventory_selectors.warehouse_by_code(warehouse).pk if warehouse else None,
        selectors.supplier_by_code(supplier).pk if supplier else None,
    )


@replenishment_router.get(
    "",
    response=list[SuggestionOut],
    summary="What to order, from whom, how much and why (docs/purchasing.md)",
)
def replenishment(
    request: HttpRequest, warehouse: str | None = None, supplier: str | None = None, all: bool = False
) -> list[SuggestionOut]:
    require_perm(request, "purchasing.view_purchaseorder")
    warehouse_id, supplier_id = _filters(warehouse, supplier)
    rows = selectors.replenishment(only_needed=not all, warehouse_id=warehouse_id, supplier_id=supplier_id)
    return [suggestion_out(row) for row in rows]


@replenishment_router.get(
    "/backorders",
    response=list[NeedOut],
    summary="Backordered order lines (purchase needs) in serving order, with the purchase order covering each",
)
def purchase_needs(request: HttpRequest) -> list[NeedOut]:
    require_perm(request, "purchasing.view_purchaseorder")
    return [
        NeedOut(
            order=need.line.order.number,
            priority=need.line.order.priority,
            placed_at=need.line.order.created_at,
            sku=need.line.sku,
            quantity=need.quantity,
            purchase_order=need.arrival.po_number if need.arrival else None,
            expected_date=need.arrival.expected_date if need.arrival else None,
            covered=need.covered,
        )
        for need in selectors.purchase_needs()
    ]


@replenishment_router.post(
    "/backorders/serve",
    response=list[BackorderServedOut],
    summary="Serve backordered lines from stock already on hand (freed by cancellations or adjustments)",
)
def backorders_serve(request: HttpRequest) -> list[BackorderServedOut]:
    require_perm(request, "orders.change_order")
    result = backorders.backorders_serve_available(actor=request.user)
    return [BackorderServedOut(order=s.order_number, sku=s.sku, quantity=s.quantity) for s in result.served]


@replenishment_router.post(
    "/purchase-orders",
    response={201: list[PurchaseOrderOut]},
    summary="Turn suggestions into draft purchase orders, one per supplier",
)
def replenishment_drafts(request: HttpRequest, payload: DraftsIn) -> tuple[int, list[PurchaseOrderOut]]:
    require_perm(request, "purchasing.add_purchaseorder")
    warehouse_id, supplier_id = _filters(payload.warehouse, payload.supplier)
    drafts = services.purchase_orders_from_suggestions(
        actor=request.user,
        keys=payload.keys,
        quantities=payload.quantities,
        warehouse_id=warehouse_id,
        supplier_id=supplier_id,
    )
    return 201, [po_out(po) for po in drafts]


# --- Purchase orders -----------------------------------------------------------------------------------


def _po(number: str) -> PurchaseOrder:
    return selectors.purchase_order_by_number(number)


@purchase_orders_router.get("", response=PurchaseOrderPageOut, summary="Purchase orders, newest first")
def po_list(
    request: HttpRequest,
    status: str | None = None,
    supplier: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> PurchaseOrderPageOut:
    require_perm(request, "purchasing.view_purchaseorder")
    rows = selectors.purchase_orders(status=status, supplier_code=supplier, search=q).prefetch_related(
        "lines"
    )
    page = inventory_selectors.newest_first_page(rows, cursor=cursor, limit=limit)
    return PurchaseOrderPageOut(
        items=[po_out(po, fresh=False) for po in page.items], next_cursor=page.next_cursor
    )


@purchase_orders_router.post(
    "",
    response={201: PurchaseOrderOut},
    summary="Create a draft purchase order",
    description="Lines take the supplier's price unless `unit_price` is given. Send an `Idempotency-Key`.",
)
def po_create(
    request: HttpRequest,
    payload: PurchaseOrderIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "purchasing.add_purchaseorder")
    supplier = selectors.supplier_by_code(payload.supplier)
    warehouse = inventory_selectors.warehouse_by_code(payload.warehouse)

    def create() -> tuple[int, Any]:
        po = services.purchase_order_create(
            supplier=supplier,
            warehouse=warehouse,
            currency=payload.currency,
            expected_date=payload.expected_date,
            note=payload.note,
            lines=[
                services.LineInput(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)
                for line in payload.lines
            ],
            actor=request.user,
        )
        return 201, dump(po_out(po))

    return _idempotent(
        request,
        scope="purchasing.po",
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        action=create,
    )


@purchase_orders_router.get("/{number}", response=PurchaseOrderOut, summary="One purchase order")
def po_detail(request: HttpRequest, number: str) -> PurchaseOrderOut:
    require_perm(request, "purchasing.view_purchaseorder")
    return po_out(_po(number))


@purchase_orders_router.patch("/{number}", response=PurchaseOrderOut, summary="Change expected date or note")
def po_update(request: HttpRequest, number: str, payload: PurchaseOrderPatch) -> PurchaseOrderOut:
    require_perm(request, "purchasing.change_purchaseorder")
    po = services.purchase_order_update(
        po_id=_po(number).pk, actor=request.user, expected_date=payload.expected_date, note=payload.note
    )
    return po_out(po)


@purchase_orders_router.put("/{number}/lines", response=PurchaseOrderOut, summary="Set a draft's line")
def po_line_set(request: HttpRequest, number: str, payload: LineSetIn) -> PurchaseOrderOut:
    require_perm(request, "purchasing.change_purchaseorder")
    po = services.purchase_order_line_set(
        po_id=_po(number).pk,
        sku=payload.sku,
        quantity=payload.quantity,
        unit_price=payload.unit_price,
        actor=request.user,
    )
    return po_out(po)


@purchase_orders_router.post(
    "/{number}/send", response=PurchaseOrderOut, summary="Send to the supplier (PDF by email) — incoming"
)
def po_send(request: HttpRequest, number: str, payload: SendIn | None = None) -> PurchaseOrderOut:
    require_perm(request, "purchasing.send_purchaseorder")
    po = services.purchase_order_send(
        po_id=_po(number).pk, actor=request.user, expected_date=payload.expected_date if payload else None
    )
    return po_out(po)


@purchase_orders_router.post("/{number}/cancel", response=PurchaseOrderOut, summary="Call the order off")
def po_cancel(request: HttpRequest, number: str, payload: PurchaseOrderReasonIn) -> PurchaseOrderOut:
    require_perm(request, "purchasing.change_purchaseorder")
    return po_out(
        services.purchase_order_cancel(po_id=_po(number).pk, actor=request.user, reason=payload.reason)
    )


@purchase_orders_router.post(
    "/{number}/close",
    response=PurchaseOrderOut,
    summary="Accept a short delivery (partially received → received)",
)
def po_close(request: HttpRequest, number: str, payload: CloseIn | None = None) -> PurchaseOrderOut:
    require_perm(request, "purchasing.change_purchaseorder")
    po = services.purchase_order_close(
        po_id=_po(number).pk, actor=request.user, reason=payload.reason if payload else ""
    )
    return po_out(po)


@purchase_orders_router.get(
    "/{number}/events", response=list[PurchaseOrderEventOut], summary="The order's timeline"
)
def po_events(request: HttpRequest, number: str) -> list[PurchaseOrderEventOut]:
    require_perm(request, "purchasing.view_purchaseorder")
    return [
        PurchaseOrderEventOut(
            id=event.pk,
            kind=event.kind,
            from_status=event.from_status,
            to_status=event.to_status,
            actor=event.actor.get_username() if event.actor else None,
            reason=event.reason,
            data=event.data,
            created_at=event.created_at,
        )
        for event in _po(number).events.select_related("actor").order_by("id")
    ]


@purchase_orders_router.get(
    "/{number}/pdf", url_name="purchase_order_pdf", summary="The purchase order as PDF", response={200: None}
)
def po_pdf(request: HttpRequest, number: str) -> HttpResponse:
    require_perm(request, "purchasing.view_purchaseorder")
    po = _po(number)
    response = HttpResponse(render_purchase_order_pdf(po), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{po.number}.pdf"'
    return response


@purchase_orders_router.get("/{number}/receipts", response=list[ReceiptOut], summary="Deliveries received")
def receipt_list(request: HttpRequest, number: str) -> list[ReceiptOut]:
    require_perm(request, "purchasing.view_receipt")
    return [
        receipt_out(receipt) for receipt in _po(number).receipts.select_related("received_by").order_by("id")
    ]


@purchase_orders_router.post(
    "/{number}/receipts",
    response={201: ReceiptOut},
    summary="Receive a delivery (scanned codes or typed quantities)",
    description=(
        "Each line names an item by `code` (SKU, barcode or the supplier's SKU) or `line_id`, with a "
        "quantity; the same item twice is added up. More than ordered is an over-delivery (recorded). "
        "Received stock goes to backordered orders first (express, then the oldest). Send an "
        "`Idempotency-Key`: a retry returns the first receipt."
    ),
)
def receipt_create(
    request: HttpRequest,
    number: str,
    payload: ReceiptIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> JsonResponse:
    require_perm(request, "purchasing.receive_purchaseorder")
    po = _po(number)

    def receive() -> tuple[int, Any]:
        receipt = services.receipt_create(
            po_id=po.pk,
            lines=[
                services.ReceiptInput(code=line.code, line_id=line.line_id, quantity=line.quantity)
                for line in payload.lines
            ],
            note=payload.note,
            actor=request.user,
        )
        return 201, dump(receipt_out(receipt))

    return _idempotent(
        request,
        scope=f"purchasing.receipt:{po.number}",
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        action=receive,
    )
