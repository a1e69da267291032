"""Back-office forms. They parse and check input shape; services apply the rules and the views turn
a service's DomainError back into form errors (`add_domain_error`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import DomainError, InvalidInput

from . import selectors
from .errors import VariantNotFound
from .models import MovementReason
from .services import MANUAL_REASONS, MAX_ADJUSTMENT, MAX_ON_HAND

SCANNER_ATTRS = {
    "autofocus": True,
    "autocomplete": "off",
    "autocapitalize": "off",
    "spellcheck": "false",
    "inputmode": "text",
    "data-scanner": "1",
}


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: next to the fields it names, else as a form error."""
    placed = False
    if isinstance(exc, InvalidInput):
        for field, message in exc.details.items():
            if field in form.fields:
                form.add_error(field, str(message))
                placed = True
    if not placed:
        form.add_error(None, exc.message)


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} — {obj.name}"


class _StockFormBase(forms.Form):
    sku = forms.CharField(
        label=_("SKU or barcode"),
        max_length=64,
        widget=forms.TextInput(attrs=SCANNER_ATTRS),
        help_text=_("Type a SKU or scan a barcode."),
    )
    warehouse = WarehouseChoiceField(
        label=_("Warehouse"), queryset=selectors.warehouses(active_only=True), to_field_name="code"
    )

    def clean_sku(self) -> str:
        code = self.cleaned_data["sku"]
        try:
            self.cleaned_data["variant"] = selectors.variant_by_code(code)
        except VariantNotFound as exc:
            raise forms.ValidationError(
                _("No product variant has the SKU or barcode “%(code)s”."), params={"code": code}
            ) from exc
        return self.cleaned_data["variant"].sku


class StockAdjustForm(_StockFormBase):
    quantity = forms.IntegerField(
        label=_("Quantity change"),
        min_value=-MAX_ADJUSTMENT,
        max_value=MAX_ADJUSTMENT,
        help_text=_("Positive adds units, negative removes them."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(reason.value, reason.label) for reason in MANUAL_REASONS],
        initial=MovementReason.ADJUSTMENT,
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("Enter a change other than zero."))
        return quantity


class StockCountForm(_StockFormBase):
    counted = forms.IntegerField(
        label=_("Counted units"),
        min_value=0,
        max_value=MAX_ON_HAND,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class WarehouseForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Letters, digits and hyphens."))
    name = forms.CharField(label=_("Name"), max_length=120)
    address_line = forms.CharField(label=_("Address"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.ChoiceField(label=_("Country"))
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=1_000_000,
        initial=100,
        help_text=_("Lower numbers are allocated first."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *selectors.country_choices()]  # type: ignore[attr-defined]


class BinForm(forms.Form):
    zone = forms.CharField(label=_("Zone"), max_length=10)
    aisle = forms.CharField(label=_("Aisle"), max_length=10)
    shelf = forms.CharField(label=_("Shelf"), max_length=10)
    bin = forms.CharField(label=_("Bin"), max_length=10)
    code = forms.CharField(
        label=_("Code"), max_length=50, required=False, help_text=_("Empty: derived, e.g. A-01-02-03.")
    )
    route_order = forms.IntegerField(
        label=_("Pick-route order"),
        min_value=0,
        max_value=1_000_000_000,
        required=False,
        help_text=_("Empty: after the last bin."),
    )


class BinAssignForm(forms.Form):
    bin = forms.ModelChoiceField(
        label=_("Bin"), queryset=selectors.BinLocation.objects.none(), required=False
    )

    def __init__(self, *args: Any, warehouse: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bin"].queryset = selectors.warehouse_bins(warehouse=warehouse)  # type: ignore[attr-defined]
