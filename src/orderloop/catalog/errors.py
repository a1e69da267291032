"""Catalog errors, each with a stable `code` the API and pages rely on."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, InvalidInput, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    default_message = _("No product has this id.")


class VariantNotFound(NotFound):
    code = "variant_not_found"
    default_message = _("No variant has this SKU.")


class ImportNotFound(NotFound):
    code = "import_not_found"
    default_message = _("No catalog import has this id.")


class DuplicateSku(Conflict):
    """`details` = {"sku": the SKU, "field": where the request carried it, e.g. "variants.0.sku"}."""

    code = "duplicate_sku"
    default_message = _("Another variant already uses this SKU.")


class DuplicateBarcode(Conflict):
    code = "duplicate_barcode"
    default_message = _("Another variant already uses this barcode.")


class DuplicateHandle(Conflict):
    code = "duplicate_handle"
    default_message = _("Another product already uses this handle.")


class DuplicateCategory(Conflict):
    code = "duplicate_category"
    default_message = _("Another category already uses this slug.")


class ImageInvalid(InvalidInput):
    """`details` = {"images": what is wrong, naming the file}."""

    code = "image_invalid"
    default_message = _("The picture could not be accepted.")


class ImageNotFound(NotFound):
    code = "image_not_found"
    default_message = _("No picture of this product has this id.")
