"""Reads of the fulfilment area shared by the pages, the API, the services and analytics. Never write."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from orderloop.catalog.models import Variant
from orderloop.catalog.selectors import variant_images
from orderloop.inventory.models import Warehouse
from orderloop.orders.models import LineAllocation, Order, OrderLine, OrderStatus, PaymentKind, Priority

from . import domain
from .errors import ParcelNotFound, PickListNotFound, WaveNotFound
from .models import (
    MISPICK_OUTCOMES,
    BoxSize,
    Parcel,
    ParcelLine,
    ParcelStatus,
    PickList,
    PickTask,
    ScanOutcome,
    ScanRecord,
    ScanStage,
    Tote,
    Wave,
)

S = OrderStatus
LIVE_PARCELS = (ParcelStatus.OPEN, ParcelStatus.PACKED)


def _sum(queryset: QuerySet[Any], expression: Any, group: str) -> Subquery:
    return Subquery(
        queryset.order_by().values(group).annotate(total=Sum(expression)).values("total")[:1],
        output_field=IntegerField(),
    )


def _payment_ready() -> Q:
    """domain.payment_allows_picking as a filter."""
    paid_state = Q(payment_state__state="paid")
    return (
        Q(status__in=[S.PAID, S.PICKING])
        | Q(status=S.CONFIRMED, payment_method__is_prepaid=False)
        | Q(status=S.PARTIALLY_PAID, payment_method__kind=PaymentKind.PREPAYMENT)
        | Q(status=S.AWAITING_STOCK)
        & (
            Q(payment_method__is_prepaid=False)
            | paid_state
            | Q(payment_method__kind=PaymentKind.PREPAYMENT, payment_state__state="partially_paid")
        )
    )


def queue_ordered(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """domain.queue_key in SQL: express first, earliest promised date (none last), oldest first."""
    return queryset.annotate(
        express_first=Case(When(priority=Priority.EXPRESS, then=Value(0)), default=Value(1))
    ).order_by("express_first", F("promised_date").asc(nulls_last=True), "created_at", "id")


def may_be_picked() -> QuerySet[Order]:
    """Orders whose status, payment, hold, risk review and stock let them go to the warehouse
    (domain.readiness_blocker as a filter), wherever their units are."""
    backordered = OrderLine.objects.filter(order=OuterRef("pk"), quantity_backordered__gt=0)
    return (
        Order.objects.filter(status__in=domain.READY_STATUSES, on_hold=False)
        .filter(_payment_ready())
        .filter(Q(risk_flags=[]) | Q(risk_reviewed_at__isnull=False))
        .filter(~Exists(backordered) | Q(status=S.PICKING))
    )


def ready_orders(
    *,
    warehouse: Warehouse,
    delivery_method_codes: Sequence[str] = (),
    placed_before: datetime | None = None,
) -> QuerySet[Order]:
    """Orders with units reserved in this warehouse that nobody has been asked to pick yet, which may
    go to the warehouse (domain.readiness_blocker: paid, or confirmed cash on delivery; not on hold;
    risk reviewed when flagged; nothing backordered), in queue order (domain.queue_key).

    Each row carries `units_to_pick` (units reserved here minus units already on a pick list here).
    """
    # Filtered through the stock row (not LineAllocation.warehouse): the planner then walks the order's
    # lines by index instead of every allocation of the warehouse for each order.
    allocated = _sum(
        LineAllocation.objects.filter(line__order=OuterRef("pk"), stock__warehouse_id=warehouse.pk),
        "quantity",
        "line__order",
    )
    tasked = _sum(
        PickTask.objects.filter(line__order=OuterRef("pk"), tote__warehouse=warehouse),
        F("quantity") - F("quantity_short"),
        "line__order",
    )
    # An order still in an open tote here finishes that wave first (one open tote per order and warehouse).
    in_open_tote = Tote.objects.filter(order=OuterRef("pk"), warehouse=warehouse, is_open=True)
    queryset = (
        may_be_picked()
        .filter(~Exists(in_open_tote))
        .annotate(units_to_pick=Coalesce(allocated, 0) - Coalesce(tasked, 0))
        .filter(units_to_pick__gt=0)
    )
    if delivery_method_codes:
        queryset = queryset.filter(delivery_method__code__in=list(delivery_method_codes))
    if placed_before is not None:
        queryset = queryset.filter(created_at__lt=placed_before)
    return queue_ordered(queryset)


def readiness_facts(order: Order) -> domain.ReadinessFacts:
    try:
        state = order.payment_state.state  # the payments area's row (none until a payment is recorded)
    except ObjectDoesNotExist:
        state = ""
    return domain.ReadinessFacts(
        status=order.status,
        payment_kind=order.payment_method.kind,
        is_prepaid=order.payment_method.is_prepaid,
        payment_state=state or "",
        on_hold=order.on_hold,
        risk_flagged=bool(order.risk_flags),
        risk_reviewed=order.risk_reviewed_at is not None,
        backordered=order.lines.filter(quantity_backordered__gt=0).exists(),
    )


def queue_counts() -> list[dict[str, Any]]:
    """Per active warehouse: how many orders wait to be picked, how many of them express."""
    rows = []
    for warehouse in Warehouse.objects.filter(is_active=True).order_by("priority", "code"):
        ready = ready_orders(warehouse=warehouse)
        rows.append(
            {
                "warehouse": warehouse,
                "orders": ready.count(),
                "express": ready.filter(priority=Priority.EXPRESS).count(),
            }
        )
    return rows


def pick_items(*, order_ids: Iterable[int], warehouse: Warehouse) -> list[domain.PickItem]:
    """What is left to pick of these orders in this warehouse, per line and stock row, with its bin."""
    ids = list(order_ids)
    tasked: dict[tuple[int, int], int] = defaultdict(int)
    for line_id, stock_id, quantity, short in PickTask.objects.filter(
        line__order_id__in=ids, tote__warehouse=warehouse
    ).values_list("line_id", "stock_id", "quantity", "quantity_short"):
        tasked[(line_id, stock_id)] += quantity - short
    rows = (
        LineAllocation.objects.filter(line__order_id__in=ids, warehouse=warehouse)
        .values_list(
            "line_id",
            "line__order_id",
            "stock_id",
            "line__variant_id",
            "line__sku",
            "quantity",
            "stock__bin__code",
            "stock__bin__zone",
            "stock__bin__aisle",
            "stock__bin__shelf",
            "stock__bin__bin",
            "stock__bin__route_order",
        )
        .order_by("id")
    )
    items = []
    for line_id, order_id, stock_id, variant_id, sku, quantity, code, zone, aisle, shelf, bin_, route in rows:
        left = quantity - tasked.get((line_id, stock_id), 0)
        if left <= 0:
            continue
        items.append(
            domain.PickItem(
                line_id=line_id,
                order_id=order_id,
                stock_id=stock_id,
                variant_id=variant_id,
                sku=sku,
                quantity=left,
                bin_code=code or "",
                zone=zone or "",
                aisle=aisle or "",
                shelf=shelf or "",
                bin=bin_ or "",
                route_order=route if code else None,
            )
        )
    return items


# --- Waves and pick lists --------------------------------------------------------------------------


def wave_get(*, wave_id: int) -> Wave:
    wave = Wave.objects.select_related("warehouse", "created_by").filter(pk=wave_id).first()
    if wave is None:
        raise WaveNotFound()
    return wave


def waves_recent(*, limit: int = 30, open_only: bool = False) -> QuerySet[Wave]:
    queryset = Wave.objects.select_related("warehouse").annotate(
        lists=Count("pick_lists", distinct=True),
        lists_done=Count("pick_lists", filter=Q(pick_lists__status="done"), distinct=True),
    )
    if open_only:
        queryset = queryset.exclude(status="closed")
    return queryset.order_by("-id")[:limit]


def pick_list_get(*, pick_list_id: int | None = None, code: str | None = None) -> PickList:
    queryset = PickList.objects.select_related("wave__warehouse", "picker")
    found = (
        queryset.filter(pk=pick_list_id).first()
        if pick_list_id is not None
        else queryset.filter(code__iexact=domain.normalize_code(code or "")).first()
    )
    if found is None:
        raise PickListNotFound()
    return found


def pick_lists_of(wave: Wave) -> list[PickList]:
    return list(
        wave.pick_lists.select_related("picker")
        .annotate(
            units=Coalesce(Sum("tasks__quantity"), 0),
            picked=Coalesce(Sum("tasks__quantity_picked"), 0),
            short=Coalesce(Sum("tasks__quantity_short"), 0),
        )
        .order_by("sequence")
    )


@dataclass
class ToteShare:
    tote_code: str
    batch: int
    slot: int
    order_number: str
    task_id: int
    quantity: int
    remaining: int


@dataclass
class PickRow:
    """What one bin gives on a pick list: the units of every order of the list, with each tote's share."""

    position: int
    stock_id: int
    bin_code: str
    zone: str
    sku: str
    barcode: str
    name: str
    attributes: dict[str, Any]
    image_url: str
    quantity: int = 0
    picked: int = 0
    short: int = 0
    totes: list[ToteShare] = field(default_factory=list)
    # The variant's product picture (catalog.models.ProductImage), for the pick screen and the PDF.
    image: Any = None
    variant_id: int = 0

    @property
    def remaining(self) -> int:
        return self.quantity - self.picked - self.short

    @property
    def attributes_label(self) -> str:
        return " / ".join(str(value) for value in self.attributes.values())


def pick_rows(pick_list: PickList) -> list[PickRow]:
    """The pick list's rows in route order: one per bin and product (a batch's orders summed), each
    with the totes to sort the units into (queue order, domain.sort_into_totes)."""
    return pick_rows_by_list(PickTask.objects.filter(pick_list=pick_list)).get(pick_list.pk, [])


def wave_pick_rows(wave: Wave) -> dict[int, list[PickRow]]:
    """Every pick list of the wave: pick list id → its rows (one query; for printing a whole wave)."""
    return pick_rows_by_list(PickTask.objects.filter(pick_list__wave=wave))


def pick_rows_by_list(tasks_queryset: QuerySet[PickTask]) -> dict[int, list[PickRow]]:
    tasks = (
        tasks_queryset.select_related("variant__product", "tote__order", "line")
        .defer("variant__product__description")
        .order_by("pick_list_id", "route_position", "tote__batch", "tote__slot", "id")
    )
    by_list: dict[int, list[PickRow]] = {}
    for task in tasks:
        rows = by_list.setdefault(task.pick_list_id, [])
        row = rows[-1] if rows and rows[-1].stock_id == task.stock_id else None
        if row is None:
            variant = task.variant
            row = PickRow(
                position=len(rows) + 1,
                stock_id=task.stock_id,
                bin_code=task.bin_code,
                zone=task.zone,
                sku=variant.sku,
                barcode=variant.barcode or "",
                name=variant.product.display_name,
                attributes=dict(task.line.attributes or variant.attributes or {}),
                image_url=variant.product.image_url,
                variant_id=variant.pk,
            )
            rows.append(row)
        row.quantity += task.quantity
        row.picked += task.quantity_picked
        row.short += task.quantity_short
        row.totes.append(
            ToteShare(
                tote_code=task.tote.code,
                batch=task.tote.batch,
                slot=task.tote.slot,
                order_number=task.tote.order.number,
                task_id=task.pk,
                quantity=task.quantity,
                remaining=task.remaining,
            )
        )
    _attach_images([row for rows in by_list.values() for row in rows])
    return by_list


def _attach_images(rows: list[PickRow]) -> None:
    """The product pictures of the rows: the uploaded one (pick size) before the product's image URL."""
    images = variant_images({row.variant_id for row in rows})
    for row in rows:
        row.image = images.get(row.variant_id)
        if row.image is not None:
            row.image_url = row.image.url("pick")


def totes_of(wave: Wave) -> list[Tote]:
    return list(wave.totes.select_related("order").order_by("batch", "slot"))


def tote_by_code(code: str) -> Tote | None:
    return (
        Tote.objects.select_related("order", "warehouse")
        .filter(code__iexact=domain.normalize_code(code))
        .first()
    )


# --- Packing ---------------------------------------------------------------------------------------


def box_sizes(*, active_only: bool = True) -> list[BoxSize]:
    queryset = BoxSize.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return list(queryset.order_by("sort_order", "code"))


def as_boxes(boxes: Iterable[BoxSize]) -> list[domain.Box]:
    return [
        domain.Box(
            code=b.code, length=b.length_mm, width=b.width_mm, height=b.height_mm, max_weight_g=b.max_weight_g
        )
        for b in boxes
    ]


def unit_items(lines: Iterable[tuple[OrderLine, int]]) -> list[domain.Item]:
    """One domain.Item per unit of each (line, units) pair, measured from its variant."""
    items = []
    for line, units in lines:
        variant = line.variant
        for n in range(units):
            items.append(
                domain.Item(
                    key=(line.pk, n),
                    length=variant.length_mm,
                    width=variant.width_mm,
                    height=variant.height_mm,
                    weight_g=variant.weight_g,
                )
            )
    return items


@dataclass
class PackLine:
    line: OrderLine
    picked: int  # picked in this warehouse
    packed: int  # in this warehouse's open or packed parcels
    in_open_parcel: int
    to_pick: int  # still on an open pick list here
    elsewhere: int  # reserved in another warehouse (another parcel)

    @property
    def to_pack(self) -> int:
        return max(self.picked - self.packed, 0)

    @property
    def backordered(self) -> int:
        return self.line.quantity_backordered


@dataclass
class PackingView:
    order: Order
    warehouse: Warehouse
    lines: list[PackLine]
    open_parcel: Parcel | None
    parcels: list[Parcel]
    box_plan: list[domain.ParcelPlan]
    boxes: list[BoxSize]
    waiting_zones: list[str]
    invoice: Any
    needs_invoice: bool
    last_scans: list[ScanRecord]

    @property
    def units_to_pack(self) -> int:
        return sum(line.to_pack for line in self.lines)

    @property
    def units_in_open_parcel(self) -> int:
        return sum(line.in_open_parcel for line in self.lines)

    @property
    def gift_lines(self) -> list[PackLine]:
        return [line for line in self.lines if line.line.is_gift]

    @property
    def noted_lines(self) -> list[PackLine]:
        return [line for line in self.lines if line.line.note]

    @property
    def suggested_box(self) -> BoxSize | None:
        if not self.box_plan or self.box_plan[0].box is None:
            return None
        code = self.box_plan[0].box.code
        return next((box for box in self.boxes if box.code == code), None)


INVOICE_IN_PARCEL_KINDS = frozenset({PaymentKind.BANK_TRANSFER, PaymentKind.PREPAYMENT})


def line_units(*, order: Order, warehouse: Warehouse) -> dict[int, dict[str, int]]:
    """Per line of the order: units picked, packed (live parcels), in the open parcel, still to pick
    here, and reserved elsewhere."""
    units: dict[int, dict[str, int]] = defaultdict(
        lambda: {
            "picked": 0,
            "packed": 0,
            "open": 0,
            "to_pick": 0,
            "open_tasks": 0,
            "elsewhere": 0,
            "tasked": 0,
            "here": 0,
        }
    )
    for line_id, quantity, picked, short in PickTask.objects.filter(
        line__order=order, tote__warehouse=warehouse
    ).values_list("line_id", "quantity", "quantity_picked", "quantity_short"):
        units[line_id]["picked"] += picked
        units[line_id]["to_pick"] += quantity - picked - short
        units[line_id]["open_tasks"] += quantity - picked - short
        units[line_id]["tasked"] += quantity - short
    for line_id, quantity, status in ParcelLine.objects.filter(
        parcel__order=order, parcel__warehouse=warehouse, parcel__status__in=LIVE_PARCELS
    ).values_list("line_id", "quantity", "parcel__status"):
        units[line_id]["packed"] += quantity
        if status == ParcelStatus.OPEN:
            units[line_id]["open"] += quantity
    for line_id, warehouse_id, quantity in LineAllocation.objects.filter(line__order=order).values_list(
        "line_id", "warehouse_id", "quantity"
    ):
        if warehouse_id == warehouse.pk:
            units[line_id]["here"] += quantity
        else:
            units[line_id]["elsewhere"] += quantity
    for counts in units.values():
        # Reserved here but on no pick list yet (a later wave picks it).
        counts["to_pick"] += max(counts["here"] - counts["tasked"], 0)
    return units


def packing_view(*, order: Order, warehouse: Warehouse) -> PackingView:
    lines = list(order.lines.select_related("variant__product").order_by("position"))
    units = line_units(order=order, warehouse=warehouse)
    pack_lines = [
        PackLine(
            line=line,
            picked=units[line.pk]["picked"],
            packed=units[line.pk]["packed"],
            in_open_parcel=units[line.pk]["open"],
            to_pick=units[line.pk]["to_pick"],
            elsewhere=units[line.pk]["elsewhere"],
        )
        for line in lines
    ]
    parcels = list(
        Parcel.objects.filter(order=order, warehouse=warehouse)
        .select_related("box", "suggested_box", "packed_by")
        .prefetch_related("lines__line")
        .order_by("sequence")
    )
    open_parcel = next((p for p in parcels if p.status == ParcelStatus.OPEN), None)
    boxes = box_sizes()
    # What still goes into boxes here: the open parcel's contents and everything picked but not packed.
    plan_units = [(pl.line, pl.to_pack + pl.in_open_parcel) for pl in pack_lines]
    box_plan = domain.plan_parcels(unit_items(plan_units), as_boxes(boxes))
    waiting = sorted(
        set(
            PickTask.objects.filter(line__order=order, tote__warehouse=warehouse)
            .filter(quantity__gt=F("quantity_picked") + F("quantity_short"))
            .values_list("zone", flat=True)
        )
    )
    invoice = order.invoices.order_by("-id").first()
    needs_invoice = order.payment_method.kind in INVOICE_IN_PARCEL_KINDS or invoice is not None
    scans = list(
        ScanRecord.objects.filter(order=order, stage=ScanStage.PACK)
        .select_related("variant")
        .order_by("-id")[:8]
    )
    return PackingView(
        order=order,
        warehouse=warehouse,
        lines=pack_lines,
        open_parcel=open_parcel,
        parcels=parcels,
        box_plan=box_plan,
        boxes=boxes,
        waiting_zones=waiting,
        invoice=invoice,
        needs_invoice=needs_invoice,
        last_scans=scans,
    )


def order_for_packing(*, number: str) -> Order:
    from orderloop.orders.errors import OrderNotFound

    order = Order.objects.select_related("payment_method", "delivery_method").filter(number=number).first()
    if order is None:
        raise OrderNotFound()
    return order


def variant_for_code(code: str) -> Variant | None:
    """The product a scanned code names: its barcode, or its SKU (letter case ignored)."""
    text = domain.normalize_code(code)
    if not text:
        return None
    return Variant.objects.filter(barcode=text).first() or Variant.objects.filter(sku__iexact=text).first()


def parcel_get(*, parcel_id: int) -> Parcel:
    parcel = (
        Parcel.objects.select_related("order", "warehouse", "box", "suggested_box", "packed_by")
        .prefetch_related("lines__line")
        .filter(pk=parcel_id)
        .first()
    )
    if parcel is None:
        raise ParcelNotFound()
    return parcel


def parcels_list(*, status: str | None = None, warehouse_code: str | None = None) -> QuerySet[Parcel]:
    """Parcels, e.g. the packed ones that shipping takes over (`status="packed"`)."""
    queryset = Parcel.objects.select_related("order", "warehouse", "box").prefetch_related("lines__line")
    if status:
        queryset = queryset.filter(status=status)
    if warehouse_code:
        queryset = queryset.filter(warehouse__code__iexact=warehouse_code)
    return queryset


def parcel_count(order: Order) -> int:
    return Parcel.objects.filter(order=order).exclude(status=ParcelStatus.CANCELLED).count()


# --- Pick accuracy (analytics) -----------------------------------------------------------------------


@dataclass(frozen=True)
class PickAccuracy:
    accepted_units: int
    wrong_items: int  # the mis-picks
    too_many: int  # over-scans: refused, not mis-picks
    accuracy: Decimal | None  # 0–1; None when nothing was scanned at packing
    unknown_codes: int = 0  # refused, not mis-picks

    @property
    def mispicks(self) -> int:
        return self.wrong_items

    @property
    def percent(self) -> Decimal | None:
        return None if self.accuracy is None else (self.accuracy * 100).quantize(Decimal("0.01"))


def pick_accuracy(
    *, since: datetime | None = None, until: datetime | None = None, warehouse_code: str | None = None
) -> PickAccuracy:
    """Pick accuracy from the packing station's scans: units accepted into parcels against mis-picks
    (a product the order does not have reached the packing table). An over-scan (one more unit than
    was picked) and an unknown code are refused at packing but are not mis-picks: they are counted
    apart. For analytics and the warehouse page."""
    scans = ScanRecord.objects.filter(stage=ScanStage.PACK)
    if since is not None:
        scans = scans.filter(created_at__gte=since)
    if until is not None:
        scans = scans.filter(created_at__lt=until)
    if warehouse_code:
        scans = scans.filter(warehouse__code__iexact=warehouse_code)
    totals = scans.aggregate(
        accepted=Coalesce(Sum("quantity", filter=Q(outcome=ScanOutcome.ACCEPTED)), 0),
        wrong=Count("id", filter=Q(outcome=ScanOutcome.WRONG_ITEM)),
        too_many=Count("id", filter=Q(outcome=ScanOutcome.TOO_MANY)),
        unknown=Count("id", filter=Q(outcome=ScanOutcome.UNKNOWN_CODE)),
    )
    return PickAccuracy(
        accepted_units=totals["accepted"],
        wrong_items=totals["wrong"],
        too_many=totals["too_many"],
        unknown_codes=totals["unknown"],
        accuracy=domain.pick_accuracy(accepted_units=totals["accepted"], mispicks=totals["wrong"]),
    )


def mispicks(*, limit: int = 50) -> QuerySet[ScanRecord]:
    return (
        ScanRecord.objects.filter(stage=ScanStage.PACK, outcome__in=MISPICK_OUTCOMES)
        .select_related("variant", "order", "actor", "warehouse")
        .order_by("-id")[:limit]
    )


def other_parcels_units(parcel: Parcel) -> dict[int, int]:
    """Per order line: units in the order's other open or packed parcels."""
    units: dict[int, int] = defaultdict(int)
    for line_id, quantity in (
        ParcelLine.objects.filter(parcel__order_id=parcel.order_id, parcel__status__in=LIVE_PARCELS)
        .exclude(parcel=parcel)
        .values_list("line_id", "quantity")
    ):
        units[line_id] += quantity
    return dict(units)
