"""Reads of the catalog shared by the API and the pages. Never write."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet

from .domain import main_image
from .errors import ImportNotFound, ProductNotFound, VariantNotFound
from .models import CatalogImport, Category, Product, ProductImage, Variant


def product_list(
    *, q: str | None = None, category: str | None = None, active: bool | None = None
) -> QuerySet[Product]:
    """Products matching a search in name, handle, SKU or barcode; annotated with the count and price
    range of their active variants."""
    active_variants = Q(variants__is_active=True)
    queryset = Product.objects.select_related("category").annotate(
        variant_count=Count("variants", filter=active_variants),
        min_price=Min("variants__price_amount", filter=active_variants),
        max_price=Max("variants__price_amount", filter=active_variants),
        price_currency=Min("variants__currency", filter=active_variants),
    )
    text = (q or "").strip()
    if text:
        # A subquery rather than a join, so the annotations still count each variant once.
        matching = Variant.objects.filter(Q(sku__icontains=text) | Q(barcode=text)).values("product_id")
        queryset = queryset.filter(Q(name__icontains=text) | Q(handle__icontains=text) | Q(id__in=matching))
    if category:
        queryset = queryset.filter(category__slug=category)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset


def with_variants(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("id")))


def product_get(*, product_id: int) -> Product:
    product = with_variants(Product.objects.select_related("category")).filter(pk=product_id).first()
    if product is None:
        raise ProductNotFound()
    return product


def variant_get(*, sku: str) -> Variant:
    variant = Variant.objects.select_related("product").filter(sku=sku).first()
    if variant is None:
        raise VariantNotFound()
    return variant


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("name", "id")


def catalog_import_get(*, import_id: int) -> CatalogImport:
    job = CatalogImport.objects.filter(pk=import_id).first()
    if job is None:
        raise ImportNotFound()
    return job


def catalog_import_recent(*, limit: int = 10) -> QuerySet[CatalogImport]:
    return CatalogImport.objects.defer("content").order_by("-created_at")[:limit]


# --- Pictures -----------------------------------------------------------------------------------------


def images_of_products(product_ids: Iterable[int]) -> dict[int, list[ProductImage]]:
    """Each product's pictures in their order (one query)."""
    by_product: dict[int, list[ProductImage]] = {}
    rows = (
        ProductImage.objects.filter(product_id__in=set(product_ids))
        .select_related("product")
        .order_by("product_id", "position", "id")
    )
    for image in rows:
        by_product.setdefault(image.product_id, []).append(image)
    return by_product


def product_main_images(product_ids: Iterable[int]) -> dict[int, ProductImage]:
    """The picture each product is shown with in lists (catalogue cards)."""
    return {
        product_id: image
        for product_id, images in images_of_products(product_ids).items()
        if (image := main_image(images)) is not None
    }


def variant_images(variant_ids: Iterable[int]) -> dict[int, ProductImage]:
    """The picture each variant is shown with (cart, order card, pick screen and pick list): its own,
    else its product's (`domain.main_image`). Variants without any picture are left out."""
    pairs = list(Variant.objects.filter(pk__in=set(variant_ids)).values_list("pk", "product_id"))
    by_product = images_of_products(product_id for _variant_id, product_id in pairs)
    return {
        variant_id: image
        for variant_id, product_id in pairs
        if (image := main_image(by_product.get(product_id, []), variant_id)) is not None
    }
