"""Catalog pages. As thin as the API: forms check shapes, services check rules and write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST, require_safe

from orderloop.core import history
from orderloop.core.errors import DomainError
from orderloop.core.htmx import HtmxHttpRequest

from . import csv_io, selectors, services
from . import images as image_files
from .errors import ImageInvalid, ImportNotFound, ProductNotFound
from .forms import (
    ImageEditForm,
    ImageFormSet,
    ImageUploadForm,
    ImportForm,
    ProductForm,
    VariantForm,
    VariantFormSet,
)
from .models import Product, ProductImage, Variant

PAGE_SIZE = 25
STATUS_FILTERS = {"active": True, "archived": False, "all": None}


@login_required
@permission_required("catalog.view_product", raise_exception=True)
def product_list(request: HtmxHttpRequest) -> HttpResponse:
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
    template = "catalog/product_list.html#product-table" if request.htmx else "catalog/product_list.html"
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


def _show_image_error(exc: DomainError, upload_form: ImageUploadForm, image_formset: Any) -> None:
    """Put a picture service's error next to the upload field or the picture row it names."""
    fields = {"images": "images", "variant": "images_variant", "alt_text": "images_alt_text"}
    details = dict(exc.details) or {"images": exc.message}
    for key, message in details.items():
        parts = str(key).split(".")
        if parts[0] == "images" and len(parts) == 3 and parts[1].isdigit():
            row = image_formset.forms[int(parts[1])]
            row.add_error(parts[2] if parts[2] in row.fields else None, str(message))
        else:
            upload_form.add_error(fields.get(str(key)), str(message))


def _image_changes(image_formset: Any) -> list[services.ImageChange]:
    return [
        services.ImageChange(
            image_id=row.cleaned_data["id"],
            alt_text=row.cleaned_data.get("alt_text") or "",
            variant_id=row.cleaned_data.get("variant"),
            position=row.cleaned_data["position"],
            remove=bool(row.cleaned_data.get("remove")),
        )
        for row in image_formset.forms
        if row.cleaned_data
    ]


def _prepared_uploads(upload_form: ImageUploadForm) -> list[image_files.PreparedImage] | None:
    """The uploaded pictures checked and resized before any transaction (it takes a moment); None
    with the error on the form when one is refused."""
    limit = image_files.max_bytes()
    uploads = [
        image_files.ImageUpload(name=upload.name or "", content=upload.read(limit + 1))
        for upload in upload_form.cleaned_data.get("images") or []
    ]
    try:
        return image_files.prepare_images(uploads)
    except ImageInvalid as exc:
        upload_form.add_error("images", str(exc.details.get("images") or exc.message))
        return None


def _image_rows(images: list[ProductImage], image_formset: Any) -> list[tuple[ProductImage, Any]]:
    """Each picture row of the form with the picture it edits (matched by id, as posted)."""
    by_id = {image.pk: image for image in images}
    rows = []
    for row in image_formset.forms:
        value = str(row["id"].value() or "")
        image = by_id.get(int(value)) if value.isdigit() else None
        if image is not None:
            rows.append((image, row))
    return rows


def _product_form_page(request: HttpRequest, product: Product | None) -> HttpResponse:
    variants = list(product.variants.order_by("id")) if product else []
    images = list(product.images.order_by("position", "id")) if product else []
    if request.method == "POST":
        form = ProductForm(request.POST)
        formset = VariantFormSet(request.POST, prefix="variants")
        upload_form = ImageUploadForm(request.POST, request.FILES, variants=variants)
        # A post without the picture rows (an older page, a script) leaves the pictures as they are.
        image_formset = ImageFormSet(
            request.POST if "images-TOTAL_FORMS" in request.POST else None,
            prefix="images",
            form_kwargs={"variants": variants},
        )
        valid = all(
            [
                form.is_valid(),
                formset.is_valid(),
                upload_form.is_valid(),
                not image_formset.is_bound or image_formset.is_valid(),
            ]
        )
        prepared = _prepared_uploads(upload_form) if valid else None
        if valid and prepared is not None:
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
            step = "product"
            try:
                # The product and its pictures are saved together, or not at all.
                with transaction.atomic():
                    if product is None:
                        saved = services.product_create(
                            data={**form.service_data(), "variants": items}, actor=request.user
                        )
                    else:
                        saved = services.product_update(
                            product_id=product.pk,
                            data=form.service_data(),
                            variants=items,
                            archive_variant_ids=archive,
                            actor=request.user,
                        )
                    step = "images"
                    if product is not None and image_formset.is_bound and image_formset.forms:
                        services.product_images_update(
                            product_id=saved.pk, changes=_image_changes(image_formset), actor=request.user
                        )
                    services.product_images_add(
                        product_id=saved.pk,
                        images=prepared,
                        variant_id=upload_form.cleaned_data.get("images_variant"),
                        alt_text=upload_form.cleaned_data.get("images_alt_text") or "",
                        actor=request.user,
                    )
                messages.success(request, _("Product created.") if product is None else _("Product saved."))
                return redirect("catalog:product_edit", product_id=saved.pk)
            except DomainError as exc:
                if step == "product":
                    _show_service_error(exc, form, formset, form_index)
                else:
                    _show_image_error(exc, upload_form, image_formset)
    else:
        form = ProductForm(initial=ProductForm.initial_for(product) if product else None)
        formset = VariantFormSet(
            prefix="variants",
            initial=[VariantForm.initial_for(v) for v in variants if v.is_active] or None,
        )
        upload_form = ImageUploadForm(variants=variants)
        image_formset = ImageFormSet(
            prefix="images",
            initial=[ImageEditForm.initial_for(image) for image in images],
            form_kwargs={"variants": variants},
        )
    has_errors = (
        form.errors or formset.total_error_count() or upload_form.errors or image_formset.total_error_count()
    )
    context = {
        "form": form,
        "formset": formset,
        "product": product,
        "archived_variants": [v for v in variants if not v.is_active],
        "upload_form": upload_form,
        "image_formset": image_formset,
        "image_rows": _image_rows(images, image_formset),
        # Who changed a price (or anything else of a variant), when, from what to what.
        "history": history.entries(Variant.history.filter(product_id=product.pk), subject=lambda r: r.sku)
        if product is not None
        else None,
        "history_title": _("Change history of the variants"),
    }
    return render(request, "catalog/product_form.html", context, status=400 if has_errors else 200)


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
def import_detail(request: HtmxHttpRequest, import_id: int) -> HttpResponse:
    try:
        job = selectors.catalog_import_get(import_id=import_id)
    except ImportNotFound as exc:
        raise Http404 from exc
    template = "catalog/import_detail.html#import-progress" if request.htmx else "catalog/import_detail.html"
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


# --- Product pictures (public) --------------------------------------------------------------------


def _image_etag(request: HttpRequest, image_id: int, token: str, size: str) -> str:
    return f"{token}-{size}"


@require_safe
@condition(etag_func=_image_etag)
def image_file(request: HttpRequest, image_id: int, token: str, size: str) -> FileResponse:
    """A product picture's resized copy, streamed from the default storage. Public (the shop shows
    them), and cached for a year: the URL carries the picture's token, so a new file has a new URL."""
    image = ProductImage.objects.filter(pk=image_id, token=token).only("files").first()
    name = image_files.file_name(image, size) if image is not None and size in image_files.SIZES else ""
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/webp")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
