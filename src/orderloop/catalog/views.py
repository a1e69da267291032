"""Catalog pages. As thin as the API: forms check shapes, services check rules and write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.core import history
from orderloop.core.errors import DomainError

from . import csv_io, selectors, services
from .errors import ImportNotFound, ProductNotFound
from .forms import ImportForm, ProductForm, VariantForm, VariantFormSet
from .models import Product, Variant

PAGE_SIZE = 25
STATUS_FILTERS = {"active": True, "archived": False, "all": None}


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@permission_required("catalog.view_product", raise_exception=True)
def product_list(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()
    category = (request.GET.get("category") or "").strip()
    status = request.GET.get("status") or "active"
    if status not in STATUS_FILTERS:
        status = "active"
    products = selectors.product_list(q=q, category=category or None, active=STATUS_FILTERS[status])
    page = Paginator(products.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "q": q,
        "category": category,
        "status": status,
        "categories": selectors.category_list(),
        "query": query.urlencode(),
    }
    template = "catalog/_product_table.html" if _is_htmx(request) else "catalog/product_list.html"
    return render(request, template, context)


def _show_service_error(exc: DomainError, form: ProductForm, formset: Any, form_index: list[int]) -> None:
    """Put each error a service reported next to the field it names."""
    details = dict(exc.details)
    if "field" in details:  # a conflict (duplicate SKU, barcode or handle) names one field
        details = {str(details["field"]): exc.message}
    if not details:
        form.add_error(None, exc.message)
    for key, message in details.items():
        parts = str(key).split(".")
        if parts[0] == "variants" and len(parts) >= 3 and parts[1].isdigit():
            variant_form = formset.forms[form_index[int(parts[1])]]
            variant_form.add_error(parts[2] if parts[2] in variant_form.fields else None, str(message))
        else:
            form.add_error(form.error_field(str(key)), str(message))


def _product_form_page(request: HttpRequest, product: Product | None) -> HttpResponse:
    variants = list(product.variants.order_by("id")) if product else []
    if request.method == "POST":
        form = ProductForm(request.POST)
        formset = VariantFormSet(request.POST, prefix="variants")
        if form.is_valid() and formset.is_valid():
            items: list[dict[str, Any]] = []
            form_index: list[int] = []
            archive: list[int] = []
            for index, variant_form in enumerate(formset.forms):
                if not variant_form.has_changed() and not variant_form.cleaned_data.get("id"):
                    continue
                if variant_form.cleaned_data.get("DELETE"):
                    if variant_form.cleaned_data.get("id"):
                        archive.append(variant_form.cleaned_data["id"])
                    continue
                if not variant_form.cleaned_data:
                    continue
                items.append(variant_form.service_data())
                form_index.append(index)
            try:
                if product is None:
                    saved = services.product_create(
                        data={**form.service_data(), "variants": items}, actor=request.user
                    )
                    messages.success(request, _("Product created."))
                else:
                    saved = services.product_update(
                        product_id=product.pk,
                        data=form.service_data(),
                        variants=items,
                        archive_variant_ids=archive,
                        actor=request.user,
                    )
                    messages.success(request, _("Product saved."))
                return redirect("catalog:product_edit", product_id=saved.pk)
            except DomainError as exc:
                _show_service_error(exc, form, formset, form_index)
    else:
        form = ProductForm(initial=ProductForm.initial_for(product) if product else None)
        formset = VariantFormSet(
            prefix="variants",
            initial=[VariantForm.initial_for(v) for v in variants if v.is_active] or None,
        )
    context = {
        "form": form,
        "formset": formset,
        "product": product,
        "archived_variants": [v for v in variants if not v.is_active],
        # Who changed a price (or anything else of a variant), when, from what to what.
        "history": history.entries(Variant.history.filter(product_id=product.pk), subject=lambda r: r.sku)
        if product is not None
        else None,
        "history_title": _("Change history of the variants"),
    }
    return render(
        request,
        "catalog/product_form.html",
        context,
        status=400 if form.errors or formset.total_error_count() else 200,
    )


@login_required
@permission_required("catalog.add_product", raise_exception=True)
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form_page(request, None)


@login_required
@permission_required("catalog.change_product", raise_exception=True)
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        product = selectors.product_get(product_id=product_id)
    except ProductNotFound as exc:
        raise Http404 from exc
    return _product_form_page(request, product)


@login_required
@permission_required("catalog.delete_product", raise_exception=True)
@require_POST
def product_archive(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        product = services.product_archive(product_id=product_id, actor=request.user)
    except ProductNotFound as exc:
        raise Http404 from exc
    messages.success(request, _("%(name)s was archived.") % {"name": product.display_name})
    return redirect("catalog:product_list")


@login_required
@permission_required("catalog.import_catalog", raise_exception=True)
def product_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = csv_io.decode_upload(upload.read())
        except csv_io.CsvFormatError as exc:
            form.add_error("file", str(exc))
        else:
            job = services.catalog_import_start(file_name=upload.name, content=content, actor=request.user)
            return redirect("catalog:import_detail", import_id=job.pk)
    context = {"form": form, "imports": selectors.catalog_import_recent(), "columns": csv_io.BASE_COLUMNS}
    return render(request, "catalog/import_form.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("catalog.import_catalog", raise_exception=True)
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    try:
        job = selectors.catalog_import_get(import_id=import_id)
    except ImportNotFound as exc:
        raise Http404 from exc
    template = "catalog/_import_progress.html" if _is_htmx(request) else "catalog/import_detail.html"
    return render(request, template, {"job": job})


@login_required
@permission_required("catalog.import_catalog", raise_exception=True)
def product_export(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_io.export_csv_chunks(csv_io.export_variants()), content_type="text/csv; charset=utf-8"
    )
    filename = f"catalog-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
