"""Catalog API: parse, call one service or selector, return. Rules live in services.py."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from orderloop.core.api_auth import require_perm
from orderloop.core.pagination import keyset_page

from . import selectors, services
from .models import Category, Product, Variant
from .schemas import (
    CategoryIn,
    CategoryOut,
    ProductIn,
    ProductListOut,
    ProductOut,
    ProductPatchIn,
    ProductUpdateIn,
    VariantIn,
    VariantOut,
    VariantPatchIn,
)

router = Router(tags=["catalog"])
variants_router = Router(tags=["catalog"])


# --- Categories (before /{id} so the paths never overlap) -------------------------------------------


@router.get("/categories", response=list[CategoryOut], summary="List categories")
def list_categories(request: HttpRequest) -> list[Category]:
    require_perm(request, "catalog.view_category")
    return list(selectors.category_list())


@router.post("/categories", response={201: CategoryOut}, summary="Create a category")
def create_category(request: HttpRequest, payload: CategoryIn) -> tuple[int, Category]:
    require_perm(request, "catalog.add_category")
    return 201, services.category_create(data=payload.model_dump(), actor=request.user)


# --- Products ------------------------------------------------------------------------------------------


@router.get("", response=ProductListOut, summary="List products")
def list_products(
    request: HttpRequest,
    q: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, object]:
    """Search `q` in name, handle, SKU and barcode; filter by category slug and `active`. Keyset
    pagination: pass `next_cursor` back as `cursor` until it is null."""
    require_perm(request, "catalog.view_product")
    queryset = selectors.with_variants(selectors.product_list(q=q, category=category, active=active))
    page = keyset_page(queryset, cursor=cursor, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("", response={201: ProductOut}, summary="Create a product with its variants")
def create_product(request: HttpRequest, payload: ProductIn) -> tuple[int, Product]:
    require_perm(request, "catalog.add_product")
    product = services.product_create(data=payload.model_dump(), actor=request.user)
    return 201, selectors.product_get(product_id=product.pk)


@router.get("/{int:product_id}", response=ProductOut, summary="Get a product")
def get_product(request: HttpRequest, product_id: int) -> Product:
    require_perm(request, "catalog.view_product")
    return selectors.product_get(product_id=product_id)


@router.put("/{int:product_id}", response=ProductOut, summary="Replace a product's fields")
def replace_product(request: HttpRequest, product_id: int, payload: ProductUpdateIn) -> Product:
    require_perm(request, "catalog.change_product")
    services.product_update(product_id=product_id, data=payload.model_dump(), actor=request.user)
    return selectors.product_get(product_id=product_id)


@router.patch("/{int:product_id}", response=ProductOut, summary="Change some of a product's fields")
def patch_product(request: HttpRequest, product_id: int, payload: ProductPatchIn) -> Product:
    require_perm(request, "catalog.change_product")
    services.product_update(
        product_id=product_id, data=payload.model_dump(exclude_unset=True), actor=request.user
    )
    return selectors.product_get(product_id=product_id)


@router.delete("/{int:product_id}", response=ProductOut, summary="Archive a product")
def archive_product(request: HttpRequest, product_id: int) -> Product:
    """Products are archived (`is_active: false`), never deleted: orders keep pointing at them."""
    require_perm(request, "catalog.delete_product")
    services.product_archive(product_id=product_id, actor=request.user)
    return selectors.product_get(product_id=product_id)


@router.post("/{int:product_id}/variants", response={201: VariantOut}, summary="Add a variant")
def create_variant(request: HttpRequest, product_id: int, payload: VariantIn) -> tuple[int, Variant]:
    require_perm(request, "catalog.add_variant")
    return 201, services.variant_create(product_id=product_id, data=payload.model_dump(), actor=request.user)


# --- Variants by SKU -----------------------------------------------------------------------------------


@variants_router.get("/{path:sku}", response=VariantOut, summary="Get a variant by SKU")
def get_variant(request: HttpRequest, sku: str) -> Variant:
    require_perm(request, "catalog.view_variant")
    return selectors.variant_get(sku=sku)


@variants_router.patch("/{path:sku}", response=VariantOut, summary="Change a variant")
def patch_variant(request: HttpRequest, sku: str, payload: VariantPatchIn) -> Variant:
    require_perm(request, "catalog.change_variant")
    return services.variant_update(sku=sku, data=payload.model_dump(exclude_unset=True), actor=request.user)


@variants_router.delete("/{path:sku}", response=VariantOut, summary="Archive a variant")
def archive_variant(request: HttpRequest, sku: str) -> Variant:
    """Variants are archived, never deleted: stock rows and orders keep pointing at them."""
    require_perm(request, "catalog.delete_variant")
    return services.variant_archive(sku=sku, actor=request.user)
