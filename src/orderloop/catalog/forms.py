"""Back-office forms. They check shapes only; the services check the rules and the views put the
services' field errors next to the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from orderloop.core.i18n import LANGUAGE_CODES

from .domain import format_attributes, parse_attributes
from .models import Category, Product, ProductImage, Variant

TRANSLATED = [code for code in LANGUAGE_CODES if code != "en"]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MEASURES = ("weight_g", "length_mm", "width_mm", "height_mm")


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    handle = forms.CharField(
        label=_("Handle"), max_length=120, required=False, help_text=_("Made from the name if left empty.")
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("name"), to_field_name="slug", required=False
    )
    image_url = forms.URLField(label=_("Image URL"), required=False, assume_scheme="https")
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    allow_backorder = forms.BooleanField(label=_("Allow backorders"), required=False)
    name_uk = forms.CharField(label=_("Name in Ukrainian"), max_length=200, required=False)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=200, required=False)
    name_sv = forms.CharField(label=_("Name in Swedish"), max_length=200, required=False)
    name_ar = forms.CharField(
        label=_("Name in Arabic"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"dir": "rtl"}),
    )

    @staticmethod
    def initial_for(product: Product) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": product.name,
            "handle": product.handle,
            "category": product.category.slug if product.category else None,
            "image_url": product.image_url,
            "description": product.description,
            "allow_backorder": product.allow_backorder,
        }
        for code in TRANSLATED:
            initial[f"name_{code}"] = (product.name_translations or {}).get(code, "")
        return initial

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        category = data.get("category")
        return {
            "name": data["name"],
            "handle": data.get("handle") or None,
            "category": category.slug if category else None,
            "image_url": data.get("image_url") or "",
            "description": data.get("description") or "",
            "allow_backorder": data.get("allow_backorder", False),
            "name_translations": {code: data.get(f"name_{code}") or "" for code in TRANSLATED},
        }

    def error_field(self, key: str) -> str | None:
        """The form field a service error key (e.g. "name_translations.uk") belongs to."""
        if key.startswith("name_translations."):
            key = "name_" + key.split(".", 1)[1]
        return key if key in self.fields else None


class VariantForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=64)
    barcode = forms.CharField(label=_("Barcode"), max_length=48, required=False)
    attributes = forms.CharField(
        label=_("Attributes"),
        required=False,
        help_text=_("For example: size=M; colour=Red"),
        widget=forms.TextInput(attrs={"placeholder": "size=M; colour=Red"}),
    )
    price = forms.CharField(
        label=_("Price"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, widget=forms.TextInput(attrs={"size": 4}))
    weight_g = forms.IntegerField(label=_("Weight (g)"), min_value=0, required=False)
    length_mm = forms.IntegerField(label=_("Length (mm)"), min_value=0, required=False)
    width_mm = forms.IntegerField(label=_("Width (mm)"), min_value=0, required=False)
    height_mm = forms.IntegerField(label=_("Height (mm)"), min_value=0, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.ORDERLOOP["DEFAULT_CURRENCY"]

    def clean_attributes(self) -> dict[str, str]:
        try:
            return parse_attributes(self.cleaned_data.get("attributes") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    @staticmethod
    def initial_for(variant: Variant) -> dict[str, Any]:
        return {
            "id": variant.pk,
            "sku": variant.sku,
            "barcode": variant.barcode or "",
            "attributes": format_attributes(variant.attributes or {}),
            "price": str(variant.price_amount),
            "currency": variant.currency,
            **{name: getattr(variant, name) for name in MEASURES},
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {
            "sku": data["sku"],
            "barcode": data.get("barcode") or None,
            "attributes": data.get("attributes") or {},
            "price": data["price"],
            "currency": data["currency"],
            **{name: data.get(name) or 0 for name in MEASURES},
        }
        if data.get("id"):
            result["id"] = data["id"]
        return result


class BaseVariantFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # "delete" here archives the variant: orders keep pointing at it
            form.fields["DELETE"].label = _("Archive")


VariantFormSet = forms.formset_factory(VariantForm, formset=BaseVariantFormSet, extra=1, can_delete=True)


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files from one input (Django's documented pattern); the content is checked by the
    catalog's picture rules (catalog/images.py), not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def variant_choices(variants: list[Variant]) -> list[tuple[str, str]]:
    return [("", str(_("All variants")))] + [
        (str(v.pk), " · ".join(part for part in (v.sku, v.attributes_label) if part))
        for v in variants
        if v.is_active
    ]


def _optional_int(value: str) -> int | None:
    return int(value) if value else None


class ImageUploadForm(forms.Form):
    images = MultipleImageField(
        label=_("Add pictures"),
        required=False,
        help_text=_("JPEG, PNG or WebP; several at once."),
    )
    images_variant = forms.TypedChoiceField(
        label=_("Pictures of the variant"), required=False, coerce=_optional_int, empty_value=None
    )
    images_alt_text = forms.CharField(
        label=_("Alternative text"),
        max_length=200,
        required=False,
        help_text=_("What the picture shows, for people who cannot see it; the product name if empty."),
    )

    def __init__(self, *args: Any, variants: list[Variant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["images_variant"].choices = variant_choices(variants)  # type: ignore[attr-defined]


class ImageEditForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    alt_text = forms.CharField(label=_("Alternative text"), max_length=200, required=False)
    variant = forms.TypedChoiceField(
        label=_("Variant"), required=False, coerce=_optional_int, empty_value=None
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999)
    remove = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args: Any, variants: list[Variant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = variant_choices(variants)  # type: ignore[attr-defined]
        self.fields["position"].widget.attrs.update(size=3, inputmode="numeric")

    @staticmethod
    def initial_for(image: ProductImage) -> dict[str, Any]:
        return {
            "id": image.pk,
            "alt_text": image.alt_text,
            "variant": str(image.variant_id or ""),
            "position": image.position,
        }


ImageFormSet = forms.formset_factory(ImageEditForm, extra=0)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, comma or semicolon separated, one row per variant.")
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it into several files."))
        return upload
