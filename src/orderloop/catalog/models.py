from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orderloop.core.history import history_user
from orderloop.core.i18n import pick_translation
from orderloop.core.models import HistoryRecordBase
from orderloop.core.money import Money


class Category(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    # {"uk": "...", "ru": "...", ...}; `name` is the English/default text.
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick_translation(self.name, self.name_translations)


class Product(models.Model):
    handle = models.SlugField(_("handle"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="products",
        null=True,
        blank=True,
        verbose_name=_("category"),
    )
    image_url = models.URLField(_("image URL"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    allow_backorder = models.BooleanField(
        _("allow backorders"), default=False, help_text=_("Accept orders beyond available stock.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        permissions = [("import_catalog", "Can import and export the catalog as CSV")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick_translation(self.name, self.name_translations)


class BarcodeType(models.TextChoices):
    EAN13 = "ean13", "EAN-13"
    CODE128 = "code128", "Code 128"


class Variant(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product")
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    barcode = models.CharField(_("barcode"), max_length=48, null=True, blank=True, unique=True)
    barcode_type = models.CharField(_("barcode type"), max_length=10, choices=BarcodeType.choices, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    price_amount = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    length_mm = models.PositiveIntegerField(_("length (mm)"), default=0)
    width_mm = models.PositiveIntegerField(_("width (mm)"), default=0)
    height_mm = models.PositiveIntegerField(_("height (mm)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The audit trail: who changed a price (or anything else of the variant), when, from what to what.
    history = HistoricalRecords(
        bases=[HistoryRecordBase], get_user=history_user, excluded_fields=["created_at", "updated_at"]
    )

    class Meta:
        ordering = ["product_id", "id"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="variant_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku}"

    @property
    def price(self) -> Money:
        return Money.of(self.price_amount, self.currency)

    @property
    def attributes_label(self) -> str:
        return " / ".join(str(value) for value in self.attributes.values())


class ProductImage(models.Model):
    """A picture of a product, optionally of one of its variants. The files (the original as uploaded
    and one resized copy per size of `catalog.images.SIZES`) live in Django's default storage under the
    names in `original` and `files`; `token` is part of their public URL, so a new file gets a new URL
    and browsers may cache a URL for ever."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product")
    )
    variant = models.ForeignKey(
        Variant,
        on_delete=models.SET_NULL,
        related_name="images",
        null=True,
        blank=True,
        verbose_name=_("variant"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    alt_text = models.CharField(_("alternative text"), max_length=200, blank=True)
    token = models.CharField(max_length=32, unique=True, editable=False)
    original = models.CharField(max_length=255, editable=False)
    # size name → storage name of the resized copy, e.g. {"catalogue": "catalog/images/12/…-catalogue.webp"}
    files = models.JSONField(default=dict, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["product_id", "position", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        indexes = [models.Index(fields=["product", "position"], name="catalog_image_product_pos")]

    def __str__(self) -> str:
        return f"{self.product_id}:{self.token}"

    @property
    def alt(self) -> str:
        """What a screen reader says: the alternative text, else the product's name."""
        return self.alt_text or self.product.display_name

    def url(self, size: str) -> str:
        from .images import image_url

        return image_url(self, size)


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Validating")
    WRITING = "writing", _("Writing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CatalogImport(models.Model):
    """A CSV import run in the background. The file is kept in the row so any worker can read it."""

    file_name = models.CharField(_("file name"), max_length=255)
    content = models.TextField()
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_products = models.PositiveIntegerField(default=0)
    created_variants = models.PositiveIntegerField(default=0)
    updated_variants = models.PositiveIntegerField(default=0)
    # [{"row": 12, "column": "price", "message": "..."}]
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("catalog import")
        verbose_name_plural = _("catalog imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.FAILED}
