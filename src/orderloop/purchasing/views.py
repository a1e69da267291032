"""Back-office purchasing pages: replenishment, suppliers and price lists, reorder rules, purchase orders
and receiving by scanner. As thin as api.py: parse a form, call a service or selector, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from orderloop.catalog.csv_io import CsvFormatError, decode_upload
from orderloop.core import history
from orderloop.core.errors import DomainError, NotFound
from orderloop.inventory import selectors as inventory_selectors
from orderloop.orders import backorders

from . import domain, selectors, services
from .forms import (
    CancelForm,
    CloseForm,
    ExpectedDateForm,
    LineForm,
    PriceImportForm,
    PriceRowForm,
    PurchaseOrderForm,
    ReorderRuleForm,
    ScanForm,
    SendForm,
    SupplierForm,
    add_domain_error,
)
from .models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus, Supplier, SupplierItem
from .pdf import render_purchase_order_pdf

PAGE_SIZE = 50


def _supplier(code: str) -> Supplier:
    try:
        return selectors.supplier_by_code(code)
    except NotFound as exc:
        raise Http404 from exc


def _po(number: str) -> PurchaseOrder:
    try:
        return selectors.purchase_order_by_number(number)
    except NotFound as exc:
        raise Http404 from exc


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


# --- Replenishment -------------------------------------------------------------------------------------


def _replenishment_filters(request: Any) -> dict[str, Any]:
    data = request.GET if request.method == "GET" else request.POST
    warehouse = inventory_selectors.warehouses().filter(code=(data.get("warehouse") or "").strip()).first()
    supplier = Supplier.objects.filter(code=(data.get("supplier") or "").strip()).first()
    return {"warehouse": warehouse, "supplier": supplier, "all": data.get("all") == "1"}


def _replenishment_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    filters = _replenishment_filters(request)
    suggestions = selectors.replenishment(
        warehouse_id=filters["warehouse"].pk if filters["warehouse"] else None,
        supplier_id=filters["supplier"].pk if filters["supplier"] else None,
        only_needed=not filters["all"],
    )
    return {
        "suggestions": suggestions,
        "orderable": [s for s in suggestions if s.can_order],
        "needs": selectors.purchase_needs(),
        "filters": filters,
        "warehouses": inventory_selectors.warehouses(active_only=True),
        "suppliers": selectors.suppliers(active_only=True),
        **extra,
    }


@login_required
@permission_required("purchasing.view_reorderrule", raise_exception=True)
def replenishment(request: HttpRequest) -> HttpResponse:
    return render(request, "purchasing/replenishment.html", _replenishment_context(request))


@login_required
@permission_required("purchasing.add_purchaseorder", raise_exception=True)
@require_POST
def replenishment_order(request: HttpRequest) -> HttpResponse:
    """One click: the ticked suggestions (with the quantities as shown or edited) become drafts."""
    keys = request.POST.getlist("key")
    quantities: dict[str, int] = {}
    for key in keys:
        quantity = _int(request.POST.get(f"quantity_{key}"))
        if quantity is not None:
            quantities[key] = quantity
    filters = _replenishment_filters(request)
    try:
        drafts = services.purchase_orders_from_suggestions(
            actor=request.user,
            keys=keys,
            quantities=quantities,
            warehouse_id=filters["warehouse"].pk if filters["warehouse"] else None,
            supplier_id=filters["supplier"].pk if filters["supplier"] else None,
        )
    except DomainError as exc:
        context = _replenishment_context(request, error=exc.message, error_details=exc.details)
        return render(request, "purchasing/replenishment.html", context, status=exc.http_status)
    if not drafts:
        messages.info(request, _("Nothing to order: no suggestion was ticked, or none has a supplier."))
        return redirect("purchasing:replenishment")
    messages.success(
        request,
        _("Draft purchase orders created: %(numbers)s.") % {"numbers": ", ".join(po.number for po in drafts)},
    )
    if len(drafts) == 1:
        return redirect("purchasing:po_detail", number=drafts[0].number)
    return redirect(f"{_url('purchasing:po_list')}?status=draft")


@login_required
@permission_required("orders.change_order", raise_exception=True)
@require_POST
def backorders_serve(request: HttpRequest) -> HttpResponse:
    """Serve waiting order lines from stock already on hand (freed by a cancellation or an adjustment)."""
    result = backorders.backorders_serve_available(actor=request.user)
    if result.served:
        orders = len({item.order_number for item in result.served})
        messages.success(
            request,
            " ".join(
                [
                    ngettext("%(n)s unit reserved", "%(n)s units reserved", result.units)
                    % {"n": result.units},
                    ngettext("for %(n)s waiting order.", "for %(n)s waiting orders.", orders) % {"n": orders},
                ]
            ),
        )
    else:
        messages.info(request, _("No stock on hand for the waiting orders."))
    return redirect("purchasing:replenishment")


def _url(name: str, **kwargs: Any) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


# --- Suppliers -----------------------------------------------------------------------------------------


@login_required
@permission_required("purchasing.view_supplier", raise_exception=True)
def supplier_list(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()
    page = Paginator(selectors.suppliers(search=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "purchasing/supplier_list.html", {"page": page, "q": q})


def _supplier_args(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    values["buyer_username"] = values.pop("buyer") or ""
    return values


@login_required
@permission_required("purchasing.add_supplier", raise_exception=True)
def supplier_create(request: HttpRequest) -> HttpResponse:
    form = SupplierForm(request.POST or None, initial={"language": "en", "is_active": True})
    if request.method == "POST" and form.is_valid():
        values = _supplier_args(form.cleaned_data)
        values["buyer_username"] = values["buyer_username"] or None
        try:
            supplier = services.supplier_create(**values, actor=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Supplier %(name)s added.") % {"name": supplier.name})
            return redirect("purchasing:supplier_detail", code=supplier.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "purchasing/supplier_form.html", {"form": form}, status=status)


def _edit_form(supplier: Supplier, data: Any = None) -> SupplierForm:
    form = SupplierForm(data, initial=SupplierForm.initial_for(supplier), prefix="edit")
    form.fields["code"].disabled = True  # the code is the supplier's key
    return form


PRICE_PAGE_SIZE = 100


def _supplier_context(
    supplier: Supplier, *, request: HttpRequest | None = None, **forms: Any
) -> dict[str, Any]:
    q = (request.GET.get("q") or "").strip() if request is not None else ""
    items = selectors.supplier_items(supplier=supplier, search=q)
    page = Paginator(items, PRICE_PAGE_SIZE).get_page(
        request.GET.get("page") if request is not None else None
    )
    return {
        "supplier": supplier,
        "items": page.object_list,
        "page": page,
        "q": q,
        "edit_form": forms.get("edit_form") or _edit_form(supplier),
        "price_form": forms.get("price_form") or PriceRowForm(prefix="price"),
        "import_form": forms.get("import_form") or PriceImportForm(prefix="import"),
        "import_errors": forms.get("import_errors") or {},
        "purchase_orders": selectors.purchase_orders(supplier_code=supplier.code)[:20],
        "history": history.entries(
            SupplierItem.history.filter(supplier_id=supplier.pk).select_related("variant"),
            subject=lambda r: r.variant.sku if r.variant_id else r.supplier_sku,
        ),
        "history_title": _("Change history of the price list"),
    }


@login_required
@permission_required("purchasing.view_supplier", raise_exception=True)
def supplier_detail(request: HttpRequest, code: str) -> HttpResponse:
    supplier = _supplier(code)
    if request.method != "POST":
        return render(
            request, "purchasing/supplier_detail.html", _supplier_context(supplier, request=request)
        )
    action = request.POST.get("action", "")
    needed = {"edit": "purchasing.change_supplier", "import": "purchasing.change_supplieritem"}.get(
        action, "purchasing.change_supplieritem"
    )
    if not request.user.has_perm(needed):
        raise PermissionDenied
    if action == "edit":
        return _supplier_edit(request, supplier)
    if action == "price":
        return _supplier_price_set(request, supplier)
    if action == "import":
        return _supplier_price_import(request, supplier)
    item_id = _int(request.POST.get("item"))
    if action in {"prefer", "delete"} and item_id is not None:
        return _supplier_item_action(request, supplier, action, item_id)
    raise Http404


def _supplier_edit(request: HttpRequest, supplier: Supplier) -> HttpResponse:
    form = _edit_form(supplier, request.POST)
    if form.is_valid():
        values = _supplier_args(form.cleaned_data)
        values.pop("code")
        try:
            services.supplier_update(supplier=supplier, actor=request.user, **values)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Supplier saved."))
            return redirect("purchasing:supplier_detail", code=supplier.code)
    return render(
        request,
        "purchasing/supplier_detail.html",
        _supplier_context(supplier, edit_form=form),
        status=400,
    )


def _supplier_price_set(request: HttpRequest, supplier: Supplier) -> HttpResponse:
    price_form = PriceRowForm(request.POST, prefix="price")
    if price_form.is_valid():
        data = price_form.cleaned_data
        try:
            services.supplier_item_set(
                supplier=supplier,
                sku=data["sku"],
                price=data["price"],
                currency=data["currency"] or None,
                supplier_sku=data["supplier_sku"],
                min_order_quantity=data["min_order_quantity"],
                pack_size=data["pack_size"],
                lead_time_days=data["lead_time_days"],
                preferred=True if data["preferred"] else None,
                actor=request.user,
            )
        except DomainError as exc:
            add_domain_error(price_form, exc)
        else:
            messages.success(request, _("Price of %(sku)s saved.") % {"sku": data["sku"]})
            return redirect("purchasing:supplier_detail", code=supplier.code)
    context = _supplier_context(supplier, price_form=price_form)
    return render(request, "purchasing/supplier_detail.html", context, status=400)


def _supplier_price_import(request: HttpRequest, supplier: Supplier) -> HttpResponse:
    import_form = PriceImportForm(request.POST, request.FILES, prefix="import")
    errors: dict[str, Any] = {}
    if import_form.is_valid():
        try:
            content = decode_upload(import_form.cleaned_data["file"].read())
            report = services.price_list_import(supplier=supplier, content=content, actor=request.user)
        except CsvFormatError as exc:
            import_form.add_error("file", str(exc))
        except DomainError as exc:
            import_form.add_error(None, exc.message)
            errors = exc.details
        else:
            messages.success(
                request,
                _("Price list imported: %(created)s new, %(updated)s updated.")
                % {"created": report.created, "updated": report.updated},
            )
            return redirect("purchasing:supplier_detail", code=supplier.code)
    context = _supplier_context(supplier, import_form=import_form, import_errors=errors)
    return render(request, "purchasing/supplier_detail.html", context, status=400)


def _supplier_item_action(
    request: HttpRequest, supplier: Supplier, action: str, item_id: int
) -> HttpResponse:
    """Make one of the supplier's price rows the preferred one, or delete it."""
    if not selectors.supplier_items(supplier=supplier).filter(pk=item_id).exists():
        raise Http404
    if action == "prefer":
        services.supplier_item_prefer(item_id=item_id, actor=request.user)
    else:
        services.supplier_item_delete(item_id=item_id, actor=request.user)
    return redirect("purchasing:supplier_detail", code=supplier.code)


# --- Reorder rules -------------------------------------------------------------------------------------


@login_required
@permission_required("purchasing.view_reorderrule", raise_exception=True)
def rule_list(request: HttpRequest) -> HttpResponse:
    form = ReorderRuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("purchasing.change_reorderrule"):
            raise PermissionDenied
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                variant = inventory_selectors.variant_by_code(data["sku"])
                services.reorder_rule_set(
                    variant=variant,
                    warehouse=data["warehouse"],
                    method=data["method"],
                    min_quantity=data["min_quantity"],
                    max_quantity=data["max_quantity"],
                    safety_stock=data["safety_stock"],
                    velocity_days=data["velocity_days"],
                    review_days=data["review_days"],
                    responsible_username=data["responsible"] or None,
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Reorder rule for %(sku)s saved.") % {"sku": variant.sku})
                return redirect("purchasing:rule_list")
    q = (request.GET.get("q") or "").strip()
    page = Paginator(selectors.reorder_rules(search=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "purchasing/rule_list.html", {"page": page, "form": form, "q": q}, status=status)


@login_required
@permission_required("purchasing.delete_reorderrule", raise_exception=True)
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    try:
        services.reorder_rule_delete(rule_id=rule_id, actor=request.user)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Reorder rule removed."))
    return redirect("purchasing:rule_list")


# --- Purchase orders -----------------------------------------------------------------------------------


@login_required
@permission_required("purchasing.view_purchaseorder", raise_exception=True)
def po_list(request: HttpRequest) -> HttpResponse:
    status = (request.GET.get("status") or "").strip()
    q = (request.GET.get("q") or "").strip()
    rows = selectors.purchase_orders(
        status=status if status in PurchaseOrderStatus.values else None, search=q
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "purchasing/po_list.html",
        {"page": page, "status": status, "q": q, "statuses": PurchaseOrderStatus.choices},
    )


@login_required
@permission_required("purchasing.add_purchaseorder", raise_exception=True)
def po_create(request: HttpRequest) -> HttpResponse:
    form = PurchaseOrderForm(request.POST or None, initial={"supplier": request.GET.get("supplier")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            po = services.purchase_order_create(
                supplier=data["supplier"],
                warehouse=data["warehouse"],
                currency=data["currency"] or None,
                note=data["note"],
                lines=[services.LineInput(sku=data["sku"], quantity=data["quantity"])],
                actor=request.user,
            )
        except DomainError as exc:
            # The service names the line's fields `lines.0.<field>`; this form has one line.
            exc.details = {
                {"unit_price": "sku"}.get(key.removeprefix("lines.0."), key.removeprefix("lines.0.")): value
                for key, value in exc.details.items()
            }
            add_domain_error(form, exc)
        else:
            return redirect("purchasing:po_detail", number=po.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "purchasing/po_form.html", {"form": form}, status=status)


def _po_context(po: PurchaseOrder, **forms: Any) -> dict[str, Any]:
    return {
        "po": po,
        "lines": selectors.purchase_order_lines(po),
        "events": list(po.events.select_related("actor").order_by("id")),
        "receipts": list(
            po.receipts.select_related("received_by").prefetch_related("lines__line").order_by("id")
        ),
        "messages_sent": list(po.messages.order_by("id")),
        "is_draft": po.status == PurchaseOrderStatus.DRAFT,
        "is_open": domain.is_open(po.status),
        "can_close": po.status == PurchaseOrderStatus.PARTIALLY_RECEIVED,
        "allowed_next": domain.allowed_next(po.status),
        "line_form": forms.get("line_form") or LineForm(prefix="line"),
        "send_form": forms.get("send_form") or SendForm(prefix="send"),
        "cancel_form": forms.get("cancel_form") or CancelForm(prefix="cancel"),
        "close_form": forms.get("close_form") or CloseForm(prefix="close"),
        "expected_form": forms.get("expected_form")
        or ExpectedDateForm(prefix="expected", initial={"expected_date": po.expected_date}),
        "action_error": forms.get("action_error"),
    }


@login_required
@permission_required("purchasing.view_purchaseorder", raise_exception=True)
def po_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "purchasing/po_detail.html", _po_context(_po(number)))


@dataclass(frozen=True)
class _Action:
    permission: str
    form: type
    run: Callable[[HttpRequest, PurchaseOrder, dict[str, Any]], Any]


def _set_line(request: HttpRequest, po: PurchaseOrder, data: dict[str, Any]) -> Any:
    return services.purchase_order_line_set(
        po_id=po.pk,
        sku=data["sku"],
        quantity=data["quantity"],
        unit_price=data["unit_price"],
        actor=request.user,
    )


ACTIONS: dict[str, _Action] = {
    "line": _Action("purchasing.change_purchaseorder", LineForm, _set_line),
    "send": _Action(
        "purchasing.send_purchaseorder",
        SendForm,
        lambda request, po, data: services.purchase_order_send(
            po_id=po.pk, actor=request.user, expected_date=data["expected_date"]
        ),
    ),
    "cancel": _Action(
        "purchasing.change_purchaseorder",
        CancelForm,
        lambda request, po, data: services.purchase_order_cancel(
            po_id=po.pk, actor=request.user, reason=data["reason"]
        ),
    ),
    "close": _Action(
        "purchasing.change_purchaseorder",
        CloseForm,
        lambda request, po, data: services.purchase_order_close(
            po_id=po.pk, actor=request.user, reason=data["reason"]
        ),
    ),
    "expected": _Action(
        "purchasing.change_purchaseorder",
        ExpectedDateForm,
        lambda request, po, data: services.purchase_order_update(
            po_id=po.pk, actor=request.user, expected_date=data["expected_date"]
        ),
    ),
    "email": _Action(
        "purchasing.send_purchaseorder",
        CloseForm,
        lambda request, po, data: services.purchase_order_email(po_id=po.pk, actor=request.user),
    ),
}
ACTION_DONE = {
    "line": gettext_lazy("Line saved."),
    "send": gettext_lazy("Purchase order sent."),
    "cancel": gettext_lazy("Purchase order cancelled."),
    "close": gettext_lazy("Purchase order closed; the missing units are recorded as short."),
    "expected": gettext_lazy("Expected delivery date saved."),
    "email": gettext_lazy("The purchase order will be e-mailed to the supplier again."),
}


@login_required
@permission_required("purchasing.view_purchaseorder", raise_exception=True)
@require_POST
def po_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    po = _po(number)
    form = spec.form(request.POST, prefix=action if action != "email" else "close")
    if not form.is_valid():
        context = _po_context(po, **{f"{action}_form": form})
        return render(request, "purchasing/po_detail.html", context, status=400)
    try:
        spec.run(request, po, form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        context = _po_context(_po(number), action_error=exc.message, **{f"{action}_form": form})
        return render(request, "purchasing/po_detail.html", context, status=exc.http_status)
    messages.success(request, ACTION_DONE[action])
    return redirect("purchasing:po_detail", number=po.number)


@login_required
@permission_required("purchasing.view_purchaseorder", raise_exception=True)
def po_pdf(request: HttpRequest, number: str) -> HttpResponse:
    po = _po(number)
    response = HttpResponse(render_purchase_order_pdf(po), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{po.number}.pdf"'
    return response


# --- Receiving -----------------------------------------------------------------------------------------


@dataclass
class ReceiveRow:
    line: PurchaseOrderLine
    counted: int

    @property
    def field_name(self) -> str:
        return f"qty_{self.line.pk}"


def _counted(request: HttpRequest, lines: list[PurchaseOrderLine]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for line in lines:
        value = _int(request.POST.get(f"qty_{line.pk}"))
        counted[line.pk] = max(value or 0, 0)
    return counted


@login_required
@permission_required("purchasing.receive_purchaseorder", raise_exception=True)
def po_receive(request: HttpRequest, number: str) -> HttpResponse:
    """The receiving page. A keyboard-wedge scanner types a code into the focused scan field and presses
    Enter: the page's script adds one to that line's count (a code not on the order is refused with a
    message and a sound). Without the script, Enter sends the form's first button ("Add scan") and the
    server adds the unit. Counts can also be typed. "Receive" records the delivery once (a submission
    key guards against a double click)."""
    po = _po(number)
    lines = selectors.purchase_order_lines(po)
    form = ScanForm(request.POST or None)
    counted = {line.pk: 0 for line in lines}
    scan_error = ""
    status = 200
    client_key = request.POST.get("client_key") or uuid.uuid4().hex
    if request.method == "POST":
        counted = _counted(request, lines)
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        if request.POST.get("action") == "scan":
            code = data.get("scan", "")
            line = selectors.line_for_code(lines, code)
            if not code:
                pass  # Enter in another field: keep the counts, nothing to add
            elif line is None:
                scan_error = _("%(code)s is not on this purchase order.") % {"code": code or "—"}
                status = 422
            else:
                counted[line.pk] += 1
            form = ScanForm(initial={"note": data.get("note", "")})
        else:
            try:
                receipt = services.receipt_create(
                    po_id=po.pk,
                    lines=[
                        services.ReceiptInput(line_id=line_id, quantity=qty)
                        for line_id, qty in counted.items()
                        if qty
                    ],
                    note=data.get("note", ""),
                    actor=request.user,
                    client_key=client_key,
                )
            except DomainError as exc:
                scan_error = exc.message
                status = exc.http_status
            else:
                units = sum(line.quantity for line in receipt.lines.all())
                messages.success(
                    request,
                    ngettext("Received %(units)s unit.", "Received %(units)s units.", units)
                    % {"units": units},
                )
                for item in receipt.allocations:
                    messages.info(
                        request,
                        _("Order %(order)s got %(quantity)s × %(sku)s from this delivery.")
                        % {"order": item["order"], "quantity": item["quantity"], "sku": item["sku"]},
                    )
                return redirect("purchasing:po_detail", number=po.number)
    return render(
        request,
        "purchasing/po_receive.html",
        {
            "po": po,
            "rows": [ReceiveRow(line=line, counted=counted.get(line.pk, 0)) for line in lines],
            "form": form,
            "scan_error": scan_error,
            "client_key": client_key,
            "receivable": po.status in domain.RECEIVABLE,
            # The script fills the placeholders in (it shows these without a round trip).
            "not_on_order_js": _("%(code)s is not on this purchase order."),
            "added_js": _("+1 %(sku)s (counted: %(count)s)"),
        },
        status=status,
    )
