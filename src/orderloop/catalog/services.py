"""Every write to the catalog: products with their variants, categories, and the CSV import.

Each service checks its whole input first (collecting every field error, so a form or an API client sees
them all at once), then writes in one `transaction.atomic`. A SKU, barcode or handle that collides with
another row is a 409 naming the value and the field; a race that slips past the checks hits the
database's unique constraints and is reported the same way, never as a 500, never half-written.
Variants are archived, not deleted: orders and stock rows keep pointing at them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from orderloop.core.errors import Conflict, InvalidInput
from orderloop.core.i18n import LANGUAGE_CODES
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.core.text import at_most_characters

from . import csv_io
from . import images as image_files
from .domain import (
    ALT_TEXT_MAX,
    HANDLE_MAX,
    clean_category_slug,
    clean_handle,
    clean_image_url,
    clean_text,
    clean_variant_fields,
)
from .errors import (
    DuplicateBarcode,
    DuplicateCategory,
    DuplicateHandle,
    DuplicateSku,
    ImageInvalid,
    ImportNotFound,
    ProductNotFound,
    VariantNotFound,
)
from .images import PreparedImage, StoredImage
from .models import CatalogImport, Category, ImportStatus, Product, ProductImage, Variant

Actor = AbstractBaseUser | AnonymousUser | None
T = TypeVar("T")

NAME_MAX = 200
DESCRIPTION_MAX = 20_000
VARIANT_FIELDS = (
    "sku",
    "price",
    "currency",
    "barcode",
    "attributes",
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
)


def default_currency() -> str:
    return str(settings.ORDERLOOP["DEFAULT_CURRENCY"])


def _key(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field


# --- Checking input --------------------------------------------------------------------------------


def clean_translations_strict(value: object, errors: dict[str, str], prefix: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors[prefix] = _('Send an object such as {"uk": "..."}.')
        return {}
    result: dict[str, str] = {}
    for code, text in value.items():
        field = f"{prefix}.{code}"
        if code not in LANGUAGE_CODES:
            errors[field] = _("Unknown language; use one of %(codes)s.") % {
                "codes": ", ".join(LANGUAGE_CODES)
            }
            continue
        cleaned = clean_text(text)
        if len(cleaned) > NAME_MAX:
            errors[field] = at_most_characters(NAME_MAX)
        elif cleaned:
            result[code] = cleaned
    return result


def _clean_product_fields(
    data: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean the product-level fields present in `data` (all of them when creating)."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if creating or "name" in data:
        name = clean_text(data.get("name"))
        if not name:
            errors["name"] = _("This field is required.")
        elif len(name) > NAME_MAX:
            errors["name"] = at_most_characters(NAME_MAX)
        else:
            clean["name"] = name
    if clean_text(data.get("handle")):
        try:
            clean["handle"] = clean_handle(data["handle"])
        except ValueError as exc:
            errors["handle"] = str(exc)
    if creating or "description" in data:
        description = clean_text(data.get("description"))
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = at_most_characters(DESCRIPTION_MAX)
        clean["description"] = description
    if creating or "category" in data:
        slug = clean_text(data.get("category")).lower()
        if not slug:
            clean["category"] = None
        else:
            category = Category.objects.filter(slug=slug).first()
            if category is None:
                errors["category"] = _("No category has the slug %(slug)s.") % {"slug": slug}
            clean["category"] = category
    if creating or "name_translations" in data:
        clean["name_translations"] = clean_translations_strict(
            data.get("name_translations"), errors, "name_translations"
        )
    if creating or "image_url" in data:
        try:
            clean["image_url"] = clean_image_url(data.get("image_url"))
        except ValueError as exc:
            errors["image_url"] = str(exc)
    for flag in ("allow_backorder", "is_active"):
        if flag in data and data[flag] is not None:
            clean[flag] = bool(data[flag])
    if creating:
        clean.setdefault("allow_backorder", False)
    return clean, errors


def _clean_variant(
    raw: Mapping[str, Any], *, creating: bool, prefix: str
) -> tuple[dict[str, Any], dict[str, str]]:
    values = {field: raw[field] for field in VARIANT_FIELDS if field in raw}
    if creating:
        values.setdefault("sku", "")
        values.setdefault("price", "")
        if not clean_text(values.get("currency")):
            values["currency"] = default_currency()
    elif "currency" in values and not clean_text(values["currency"]):
        values.pop("currency")
    clean, field_errors = clean_variant_fields(values)
    if "is_active" in raw and raw["is_active"] is not None:
        clean["is_active"] = bool(raw["is_active"])
    return clean, {_key(prefix, field): message for field, message in field_errors.items()}


def _clean_variant_items(
    items: Sequence[Mapping[str, Any]], *, prefix: str = "variants"
) -> tuple[list[tuple[str, int | None, dict[str, Any]]], dict[str, str]]:
    """[(error prefix, existing variant id or None, clean fields)], errors. An item with `id` is an update."""
    cleaned: list[tuple[str, int | None, dict[str, Any]]] = []
    errors: dict[str, str] = {}
    for index, item in enumerate(items):
        item_prefix = f"{prefix}.{index}"
        variant_id = item.get("id")
        clean, item_errors = _clean_variant(item, creating=not variant_id, prefix=item_prefix)
        errors.update(item_errors)
        cleaned.append((item_prefix, int(variant_id) if variant_id else None, clean))
    return cleaned, errors


# --- Uniqueness --------------------------------------------------------------------------------------


def _check_variants_unique(items: Sequence[tuple[str, int | None, dict[str, Any]]]) -> None:
    """Raise DuplicateSku/DuplicateBarcode if a SKU or barcode repeats in the request or in the database
    (a variant may keep its own values)."""
    for column, error in (("sku", DuplicateSku), ("barcode", DuplicateBarcode)):
        seen: dict[str, str] = {}
        for prefix, _variant_id, clean in items:
            value = clean.get(column)
            if not value:
                continue
            if value in seen:
                raise error(
                    _("%(value)s appears twice in this request.") % {"value": value},
                    details={column: value, "field": _key(prefix, column)},
                )
            seen[value] = prefix
        if not seen:
            continue
        lookup: dict[str, Any] = {f"{column}__in": list(seen)}
        taken = Variant.objects.filter(**lookup).values_list(column, "id")
        owners = {prefix: variant_id for prefix, variant_id, _clean in items}
        for value, holder_id in taken:
            prefix = seen[value]
            if owners.get(prefix) != holder_id:
                message = (
                    _("SKU %(value)s is already used by another variant.")
                    if column == "sku"
                    else _("Barcode %(value)s is already used by another variant.")
                )
                raise error(
                    message % {"value": value}, details={column: value, "field": _key(prefix, column)}
                )


def _check_handle_free(handle: str, *, product_id: int | None = None) -> None:
    others = Product.objects.filter(handle=handle)
    if product_id is not None:
        others = others.exclude(pk=product_id)
    if others.exists():
        raise DuplicateHandle(
            _("Handle %(handle)s is already used by another product.") % {"handle": handle},
            details={"handle": handle, "field": "handle"},
        )


def unique_handle(name: str, *, taken: Iterable[str] = ()) -> str:
    """A handle made from the name that no product (and nothing in `taken`) uses yet."""
    base = slugify(name)[: HANDLE_MAX - 8].strip("-_") or "product"
    used = set(taken) | set(Product.objects.filter(handle__startswith=base).values_list("handle", flat=True))
    handle, n = base, 1
    while handle in used:
        n += 1
        handle = f"{base}-{n}"
    return handle


def _guard_integrity(write: Callable[[], T], recheck: Callable[[], None]) -> T:
    """Run `write`; if a concurrent writer won a unique constraint, report it as the matching 409."""
    try:
        return write()
    except IntegrityError as exc:
        recheck()
        raise Conflict(details={"reason": str(exc)[:200]}) from exc


# --- Products ------------------------------------------------------------------------------------------


def product_create(*, data: Mapping[str, Any], actor: Actor = None) -> Product:
    """Create a product with its variants. `data`: name, handle?, description, category (slug),
    name_translations, image_url, allow_backorder, variants: [{sku, price, currency, barcode,
    attributes, weight_g, length_mm, width_mm, height_mm}]."""
    clean, errors = _clean_product_fields(data, creating=True)
    raw_variants = data.get("variants") or []
    items, variant_errors = _clean_variant_items(raw_variants)
    errors.update(variant_errors)
    if errors:
        raise InvalidInput(details=errors)
    _check_variants_unique(items)
    if "handle" in clean:
        _check_handle_free(clean["handle"])

    def write() -> Product:
        with transaction.atomic():
            if "handle" not in clean:
                clean["handle"] = unique_handle(clean["name"])
            product = Product.objects.create(**clean)
            for _prefix, _id, fields in items:
                Variant.objects.create(product=product, **fields)
            return product

    def recheck() -> None:
        _check_variants_unique(items)
        _check_handle_free(clean["handle"])

    return _guard_integrity(write, recheck)


def product_update(
    *,
    product_id: int,
    data: Mapping[str, Any],
    actor: Actor = None,
    variants: Sequence[Mapping[str, Any]] | None = None,
    archive_variant_ids: Sequence[int] = (),
) -> Product:
    """Change the product fields present in `data` (PATCH semantics; PUT sends them all). `variants`
    (the back-office form) updates the items carrying the `id` of one of this product's variants and
    creates the others; `archive_variant_ids` archives variants of this product."""
    clean, errors = _clean_product_fields(data, creating=False)
    items, variant_errors = _clean_variant_items(variants or [])
    errors.update(variant_errors)
    if errors:
        raise InvalidInput(details=errors)

    def write() -> Product:
        with transaction.atomic():
            product = Product.objects.select_for_update().filter(pk=product_id).first()
            if product is None:
                raise ProductNotFound()
            own = {
                v.pk: v for v in Variant.objects.select_for_update().filter(product=product).order_by("pk")
            }
            foreign = {
                _key(prefix, "id"): _("Not a variant of this product.")
                for prefix, variant_id, _fields in items
                if variant_id is not None and variant_id not in own
            }
            if any(pk not in own for pk in archive_variant_ids):
                foreign["archive"] = _("Not a variant of this product.")
            if foreign:
                raise InvalidInput(details=foreign)
            _check_variants_unique(items)
            if "handle" in clean and clean["handle"] != product.handle:
                _check_handle_free(clean["handle"], product_id=product.pk)
            for field, value in clean.items():
                setattr(product, field, value)
            product.save()
            for _prefix, variant_id, fields in items:
                if variant_id is None:
                    Variant.objects.create(product=product, **fields)
                else:
                    variant = own[variant_id]
                    for field, value in fields.items():
                        setattr(variant, field, value)
                    variant.save()
            for pk in archive_variant_ids:
                if own[pk].is_active:
                    own[pk].is_active = False
                    own[pk].save(update_fields=["is_active", "updated_at"])
            return product

    def recheck() -> None:
        _check_variants_unique(items)
        if "handle" in clean:
            _check_handle_free(clean["handle"], product_id=product_id)

    return _guard_integrity(write, recheck)


def product_archive(*, product_id: int, actor: Actor = None) -> Product:
    """Hide a product from sale (DELETE in the API). Variants stay, so orders and stock keep their rows."""
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise ProductNotFound()
        if product.is_active:
            product.is_active = False
            product.save(update_fields=["is_active", "updated_at"])
        return product


# --- Variants ------------------------------------------------------------------------------------------


def variant_create(*, product_id: int, data: Mapping[str, Any], actor: Actor = None) -> Variant:
    clean, errors = _clean_variant(data, creating=True, prefix="")
    if errors:
        raise InvalidInput(details=errors)
    items = [("", None, clean)]

    def write() -> Variant:
        with transaction.atomic():
            product = Product.objects.select_for_update().filter(pk=product_id).first()
            if product is None:
                raise ProductNotFound()
            _check_variants_unique(items)
            return Variant.objects.create(product=product, **clean)

    return _guard_integrity(write, partial(_check_variants_unique, items))


def variant_update(*, sku: str, data: Mapping[str, Any], actor: Actor = None) -> Variant:
    """Change the variant fields present in `data` (the SKU too, if given)."""
    clean, errors = _clean_variant(data, creating=False, prefix="")
    if errors:
        raise InvalidInput(details=errors)

    def write() -> Variant:
        with transaction.atomic():
            variant = Variant.objects.select_for_update().filter(sku=sku).first()
            if variant is None:
                raise VariantNotFound()
            _check_variants_unique([("", variant.pk, clean)])
            for field, value in clean.items():
                setattr(variant, field, value)
            variant.save()
            return variant

    def recheck() -> None:
        current = Variant.objects.filter(sku=sku).values_list("pk", flat=True).first()
        _check_variants_unique([("", current, clean)])

    return _guard_integrity(write, recheck)


def variant_archive(*, sku: str, actor: Actor = None) -> Variant:
    with transaction.atomic():
        variant = Variant.objects.select_for_update().filter(sku=sku).first()
        if variant is None:
            raise VariantNotFound()
        if variant.is_active:
            variant.is_active = False
            variant.save(update_fields=["is_active", "updated_at"])
        return variant


# --- Pictures ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageChange:
    """What the product form says about one stored picture."""

    image_id: int
    alt_text: str = ""
    variant_id: int | None = None
    position: int = 0
    remove: bool = False


def _clean_alt_text(value: str, errors: dict[str, str], key: str) -> str:
    text = clean_text(value)
    if len(text) > ALT_TEXT_MAX:
        errors[key] = at_most_characters(ALT_TEXT_MAX)
    return text


def _check_own_variant(product: Product, variant_id: int | None, errors: dict[str, str], key: str) -> None:
    if variant_id is not None and not Variant.objects.filter(pk=variant_id, product=product).exists():
        errors[key] = _("Not a variant of this product.")


def product_images_add(
    *,
    product_id: int,
    images: Sequence[PreparedImage],
    variant_id: int | None = None,
    alt_text: str = "",
    actor: Actor = None,
) -> list[ProductImage]:
    """Store pictures checked and resized by `images.prepare_images` and add them after the product's
    other pictures, optionally tied to one of its variants. At most `PRODUCT_IMAGE_MAX_PER_PRODUCT` per
    product. The files are written first; when the rows cannot be, they are removed again."""
    errors: dict[str, str] = {}
    alt = _clean_alt_text(alt_text, errors, "alt_text")
    if errors:
        raise InvalidInput(details=errors)
    if not images:
        return []
    stored: list[StoredImage] = []
    try:
        with transaction.atomic():
            product = Product.objects.select_for_update().filter(pk=product_id).first()
            if product is None:
                raise ProductNotFound()
            _check_own_variant(product, variant_id, errors, "variant")
            if errors:
                raise InvalidInput(details=errors)
            existing = ProductImage.objects.filter(product=product)
            limit = image_files.max_per_product()
            if existing.count() + len(images) > limit:
                raise ImageInvalid(
                    _("A product has at most %(n)s pictures.") % {"n": limit},
                    details={"images": _("A product has at most %(n)s pictures.") % {"n": limit}},
                )
            last = existing.aggregate(last=Max("position"))["last"] or 0
            rows = []
            for index, prepared in enumerate(images, start=1):
                files = image_files.store(product.pk, prepared)
                stored.append(files)
                rows.append(
                    ProductImage.objects.create(
                        product=product,
                        variant_id=variant_id,
                        position=last + index,
                        alt_text=alt,
                        token=files.token,
                        original=files.original,
                        files=files.files,
                        content_type=prepared.content_type,
                        width=prepared.width,
                        height=prepared.height,
                    )
                )
            return rows
    except BaseException:
        image_files.delete_files(name for files in stored for name in files.names)
        raise


def product_images_update(
    *, product_id: int, changes: Sequence[ImageChange], actor: Actor = None
) -> list[ProductImage]:
    """Change the alternative text, variant and order of a product's pictures, and remove some; the
    product's pictures are numbered 1, 2, … again in the order asked for. A removed picture's files are
    deleted once the change is committed."""
    errors: dict[str, str] = {}
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise ProductNotFound()
        own = {image.pk: image for image in ProductImage.objects.filter(product=product)}
        variants = set(Variant.objects.filter(product=product).values_list("pk", flat=True))
        for index, change in enumerate(changes):
            if change.image_id not in own:
                errors[f"images.{index}.id"] = _("Not a picture of this product.")
                continue
            change_alt = _clean_alt_text(change.alt_text, errors, f"images.{index}.alt_text")
            if change.variant_id is not None and change.variant_id not in variants:
                errors[f"images.{index}.variant"] = _("Not a variant of this product.")
            image = own[change.image_id]
            image.alt_text, image.variant_id, image.position = change_alt, change.variant_id, change.position
        if errors:
            raise InvalidInput(details=errors)
        removed = {change.image_id for change in changes if change.remove}
        gone = [name for pk in removed for name in [own[pk].original, *own[pk].files.values()]]
        ProductImage.objects.filter(pk__in=removed).delete()
        kept = sorted(
            (image for pk, image in own.items() if pk not in removed), key=lambda i: (i.position, i.pk)
        )
        for number, image in enumerate(kept, start=1):
            image.position = number
        ProductImage.objects.bulk_update(kept, ["alt_text", "variant", "position"])
        if gone:
            transaction.on_commit(partial(image_files.delete_files, gone))
        return kept


# --- Categories ----------------------------------------------------------------------------------------


def category_create(*, data: Mapping[str, Any], actor: Actor = None) -> Category:
    errors: dict[str, str] = {}
    name = clean_text(data.get("name"))
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 120:
        errors["name"] = at_most_characters(120)
    slug = ""
    try:
        slug = clean_category_slug(data.get("slug") or slugify(name))
    except ValueError as exc:
        errors["slug"] = str(exc)
    translations = clean_translations_strict(data.get("name_translations"), errors, "name_translations")
    if errors:
        raise InvalidInput(details=errors)

    def duplicate() -> None:
        if Category.objects.filter(slug=slug).exists():
            raise DuplicateCategory(details={"slug": slug, "field": "slug"})

    duplicate()

    def write() -> Category:
        with transaction.atomic():
            return Category.objects.create(name=name, slug=slug, name_translations=translations)

    return _guard_integrity(write, duplicate)


# --- CSV import ----------------------------------------------------------------------------------------


def catalog_import_start(*, file_name: str, content: str, actor: Actor = None) -> CatalogImport:
    """Store the uploaded file and queue its import in the same transaction (the queue is an outbox)."""
    from .tasks import import_catalog  # tasks import services: import here to avoid a cycle

    with transaction.atomic():
        job = CatalogImport.objects.create(
            file_name=clean_text(file_name)[:255] or "catalog.csv",
            content=content.replace("\x00", ""),
            created_by=actor if actor is not None and actor.is_authenticated else None,  # type: ignore[misc]
        )
        enqueue_with_transaction(import_catalog, import_id=job.pk)
    return job


def _save_progress(import_id: int, processed: int) -> None:
    # Outside any transaction: each call commits on its own, so the status page sees it at once.
    CatalogImport.objects.filter(pk=import_id).update(processed_rows=processed)


def catalog_import_run(*, import_id: int) -> CatalogImport:
    """Phase 1 checks every row (saving progress as it goes); phase 2 writes everything in one
    transaction, or nothing if any row is wrong. Safe to run twice: a finished import is left alone."""
    job = CatalogImport.objects.filter(pk=import_id).first()
    if job is None:
        raise ImportNotFound()
    if job.is_finished:
        return job
    CatalogImport.objects.filter(pk=import_id).update(
        status=ImportStatus.VALIDATING, processed_rows=0, errors=[]
    )
    plan = csv_io.build_plan(
        job.content,
        default_currency=default_currency(),
        on_start=partial(_set_total, import_id),
        on_progress=partial(_save_progress, import_id),
    )
    if plan.errors:
        return _finish_failed(import_id, plan.errors, plan.total_rows)
    CatalogImport.objects.filter(pk=import_id).update(
        status=ImportStatus.WRITING, processed_rows=plan.total_rows
    )
    try:
        with transaction.atomic():
            counts = csv_io.apply_plan(plan, actor=job.created_by)
            CatalogImport.objects.filter(pk=import_id).update(
                status=ImportStatus.DONE,
                processed_rows=plan.total_rows,
                created_products=counts.created_products,
                created_variants=counts.created_variants,
                updated_variants=counts.updated_variants,
                finished_at=timezone.now(),
            )
    except IntegrityError:
        message = _(
            "The catalog changed while this file was being imported; nothing was written. Run it again."
        )
        return _finish_failed(import_id, [{"row": 0, "column": "", "message": message}], plan.total_rows)
    return CatalogImport.objects.get(pk=import_id)


def _set_total(import_id: int, total: int) -> None:
    CatalogImport.objects.filter(pk=import_id).update(total_rows=total)


def _finish_failed(import_id: int, errors: list[dict[str, Any]], total: int) -> CatalogImport:
    CatalogImport.objects.filter(pk=import_id).update(
        status=ImportStatus.FAILED,
        errors=errors,
        total_rows=total,
        processed_rows=total,
        finished_at=timezone.now(),
    )
    return CatalogImport.objects.get(pk=import_id)
