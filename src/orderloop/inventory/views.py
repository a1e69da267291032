"""Back-office stock pages. As thin as api.py: parse a form, call a selector or a service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.core.errors import DomainError, NotFound

from . import selectors, services
from .forms import (
    BinAssignForm,
    BinForm,
    StockAdjustForm,
    StockCountForm,
    WarehouseForm,
    add_domain_error,
)
from .models import MovementReason, StockLevel, Warehouse

STOCK_PAGE_SIZE = 100
LEDGER_PAGE_SIZE = 100
SESSION_LAST_WAREHOUSE = "inventory_last_warehouse"
SESSION_LAST_REASON = "inventory_last_reason"


def _stock_filters(request: HttpRequest) -> dict[str, str]:
    filters = {
        "q": (request.GET.get("q") or "").strip(),
        "warehouse": (request.GET.get("warehouse") or "").strip(),
        "low": "1" if request.GET.get("low") in {"1", "true", "on", "yes"} else "",
    }
    return {key: value for key, value in filters.items() if value}


def _stock_table_context(request: HttpRequest) -> dict[str, Any]:
    filters = _stock_filters(request)
    rows = selectors.stock_levels(
        search=filters.get("q"), warehouse_code=filters.get("warehouse"), low_only=bool(filters.get("low"))
    )
    page = Paginator(rows, STOCK_PAGE_SIZE).get_page(request.GET.get("page"))
    table_query = dict(filters)
    if page.number > 1:
        table_query["page"] = str(page.number)
    return {
        "filters": filters,
        "page": page,
        "rows": page.object_list,
        "filter_query": urlencode(filters),
        "table_query": urlencode(table_query),
        "poll_seconds": settings.ORDERLOOP["STOCK_PAGE_POLL_SECONDS"],
    }


def _scanner_initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill from the query string, else from the last form sent, so a scanning session keeps its
    warehouse and reason between items."""
    return {
        "sku": request.GET.get("sku", ""),
        "warehouse": request.GET.get("warehouse") or request.session.get(SESSION_LAST_WAREHOUSE),
        "reason": request.session.get(SESSION_LAST_REASON, MovementReason.ADJUSTMENT),
    }


def _after_stock_change(request: HttpRequest, stock: StockLevel, warehouse: Warehouse) -> HttpResponse:
    messages.success(
        request,
        _("%(sku)s in %(warehouse)s: on hand %(on_hand)s, reserved %(reserved)s, available %(available)s.")
        % {
            "sku": stock.variant.sku,
            "warehouse": warehouse.code,
            "on_hand": stock.on_hand,
            "reserved": stock.reserved,
            "available": stock.available,
        },
    )
    request.session[SESSION_LAST_WAREHOUSE] = warehouse.code
    return redirect(f"{reverse('inventory:stock_list')}?{urlencode({'q': stock.variant.sku})}")


def _rows_for_sku(sku: str | None) -> Any:
    if not sku:
        return []
    try:
        variant = selectors.variant_by_code(sku)
    except NotFound:
        return []
    return selectors.stock_levels(variant_id=variant.pk)


# --- Stock -----------------------------------------------------------------------------------------


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def stock_list(request: HttpRequest) -> HttpResponse:
    context = _stock_table_context(request)
    context["warehouses"] = selectors.warehouses()
    if request.user.has_perm("inventory.adjust_stock"):
        context["adjust_form"] = StockAdjustForm(initial=_scanner_initial(request))
    return render(request, "inventory/stock_list.html", context)


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def stock_table(request: HttpRequest) -> HttpResponse:
    """The table body alone: the stock page polls it (htmx) with its filters to stay current."""
    return render(request, "inventory/_stock_table.html", _stock_table_context(request))


@login_required
@permission_required("inventory.adjust_stock", raise_exception=True)
def stock_adjust(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = StockAdjustForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            request.session[SESSION_LAST_REASON] = data["reason"]
            try:
                stock = services.stock_adjust(
                    variant=data["variant"],
                    warehouse=data["warehouse"],
                    delta=data["quantity"],
                    reason=data["reason"],
                    actor=request.user,
                    reference=data["reference"],
                    note=data["note"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return _after_stock_change(request, stock, data["warehouse"])
    else:
        form = StockAdjustForm(initial=_scanner_initial(request))
    sku = form.data.get("sku") if form.is_bound else request.GET.get("sku")
    return render(request, "inventory/stock_adjust.html", {"form": form, "rows": _rows_for_sku(sku)})


@login_required
@permission_required("inventory.count_stock", raise_exception=True)
def stock_count(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = StockCountForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stock = services.stock_count(
                    variant=data["variant"],
                    warehouse=data["warehouse"],
                    counted=data["counted"],
                    actor=request.user,
                    note=data["note"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return _after_stock_change(request, stock, data["warehouse"])
    else:
        form = StockCountForm(initial=_scanner_initial(request))
    sku = form.data.get("sku") if form.is_bound else request.GET.get("sku")
    return render(request, "inventory/stock_count.html", {"form": form, "rows": _rows_for_sku(sku)})


@login_required
@permission_required("inventory.view_stockmovement", raise_exception=True)
def stock_movements(request: HttpRequest) -> HttpResponse:
    sku = (request.GET.get("sku") or "").strip()
    warehouse_code = (request.GET.get("warehouse") or "").strip()
    context: dict[str, Any] = {"sku": sku, "warehouse_code": warehouse_code, "items": [], "next_cursor": None}
    try:
        variant = selectors.variant_by_code(sku) if sku else None
        warehouse = selectors.warehouse_by_code(warehouse_code) if warehouse_code else None
    except NotFound as exc:
        context["lookup_error"] = exc.message
        return render(request, "inventory/stock_movements.html", context)
    movements = selectors.stock_movements(
        sku=variant.sku if variant else None, warehouse_code=warehouse.code if warehouse else None
    )
    try:
        page = selectors.newest_first_page(
            movements, cursor=request.GET.get("cursor"), limit=LEDGER_PAGE_SIZE
        )
    except DomainError as exc:
        raise Http404(exc.message) from exc
    context.update(items=page.items, next_cursor=page.next_cursor, variant=variant, warehouse=warehouse)
    if page.next_cursor:
        context["next_query"] = urlencode(
            {key: value for key, value in {"sku": sku, "warehouse": warehouse_code}.items() if value}
            | {"cursor": page.next_cursor}
        )
    if variant and warehouse:
        context["stock"] = selectors.stock_row(variant=variant, warehouse=warehouse)
        if context["stock"] is not None and request.user.has_perm("inventory.change_binlocation"):
            context["bin_form"] = BinAssignForm(warehouse=warehouse, initial={"bin": context["stock"].bin_id})
    return render(request, "inventory/stock_movements.html", context)


@login_required
@permission_required("inventory.change_binlocation", raise_exception=True)
@require_POST
def stock_assign_bin(request: HttpRequest) -> HttpResponse:
    try:
        variant = selectors.variant_by_code(request.POST.get("sku"))
        warehouse = selectors.warehouse_by_code(request.POST.get("warehouse"))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = BinAssignForm(request.POST, warehouse=warehouse)
    if form.is_valid():
        try:
            services.stock_assign_bin(
                variant=variant, warehouse=warehouse, bin=form.cleaned_data["bin"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Bin location saved."))
    else:
        messages.error(request, _("Choose a bin of this warehouse."))
    query = urlencode({"sku": variant.sku, "warehouse": warehouse.code})
    return redirect(f"{reverse('inventory:stock_movements')}?{query}")


# --- Warehouses ------------------------------------------------------------------------------------


@login_required
@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_list(request: HttpRequest) -> HttpResponse:
    can_create = request.user.has_perm("inventory.add_warehouse")
    form = WarehouseForm(initial={"country": "UA"}) if can_create else None
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied
        form = WarehouseForm(request.POST)
        if form.is_valid():
            try:
                warehouse = services.warehouse_create(**form.cleaned_data, actor=request.user)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Warehouse %(code)s created.") % {"code": warehouse.code})
                return redirect("inventory:warehouse_detail", code=warehouse.code)
    rows = selectors.warehouses().annotate(
        stock_rows=Count("stock_levels", distinct=True),
        bin_count=Count("bins", distinct=True),
    )
    on_hand = {
        row["warehouse_id"]: row["total"]
        for row in StockLevel.objects.values("warehouse_id").annotate(total=Sum("on_hand"))
    }
    return render(
        request,
        "inventory/warehouse_list.html",
        {"warehouses": [(row, on_hand.get(row.pk, 0)) for row in rows], "form": form},
    )


def _warehouse_or_404(code: str) -> Warehouse:
    try:
        return selectors.warehouse_by_code(code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_detail(request: HttpRequest, code: str) -> HttpResponse:
    warehouse = _warehouse_or_404(code)
    can_add_bin = request.user.has_perm("inventory.add_binlocation")
    bin_form = BinForm() if can_add_bin else None
    if request.method == "POST":
        if not can_add_bin:
            raise PermissionDenied
        bin_form = BinForm(request.POST)
        if bin_form.is_valid():
            try:
                created = services.bin_create(
                    warehouse=warehouse, **bin_form.cleaned_data, actor=request.user
                )
            except DomainError as exc:
                add_domain_error(bin_form, exc)
            else:
                messages.success(request, _("Bin location %(code)s added.") % {"code": created.code})
                return redirect("inventory:warehouse_detail", code=warehouse.code)
    context = {
        "warehouse": warehouse,
        "bins": selectors.warehouse_bins(warehouse=warehouse),
        "summary": selectors.warehouse_summary(warehouse=warehouse),
        "bin_form": bin_form,
        "can_edit": request.user.has_perm("inventory.change_warehouse"),
    }
    return render(request, "inventory/warehouse_detail.html", context)


@login_required
@permission_required("inventory.change_warehouse", raise_exception=True)
def warehouse_edit(request: HttpRequest, code: str) -> HttpResponse:
    warehouse = _warehouse_or_404(code)
    fields = ["code", "name", "address_line", "city", "postal_code", "country", "priority", "is_active"]
    if request.method == "POST":
        form = WarehouseForm(request.POST)
        if form.is_valid():
            try:
                warehouse = services.warehouse_update(
                    warehouse=warehouse, **form.cleaned_data, actor=request.user
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Warehouse %(code)s saved.") % {"code": warehouse.code})
                return redirect("inventory:warehouse_detail", code=warehouse.code)
    else:
        form = WarehouseForm(initial={field: getattr(warehouse, field) for field in fields})
    return render(request, "inventory/warehouse_edit.html", {"form": form, "warehouse": warehouse})
