"""Warehouse forms: they parse input shape; the services apply the rules (a refusal is shown next to
the field it names, or above the form)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import DomainError, InvalidInput
from orderloop.inventory.models import Warehouse
from orderloop.orders.models import DeliveryMethod

from .models import BoxSize, PickMethod

SCAN_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "off",
    "spellcheck": "false",
    "data-scanner": "",
    "autofocus": "",
    "enterkeyhint": "done",
}


def add_service_error(form: forms.Form, exc: DomainError) -> None:
    placed = False
    if isinstance(exc, InvalidInput):
        for key, message in exc.details.items():
            if key in form.fields:
                form.add_error(key, str(message))
                placed = True
    if not placed:
        form.add_error(None, exc.message)


class WaveReleaseForm(forms.Form):
    warehouse = forms.ChoiceField(label=_("Warehouse"))
    method = forms.ChoiceField(
        label=_("Picking method"), choices=PickMethod.choices, initial=PickMethod.BATCH
    )
    max_orders = forms.IntegerField(label=_("Orders in the wave"), min_value=1, max_value=5000, initial=20)
    batch_size = forms.IntegerField(
        label=_("Orders per batch (totes per cart)"), min_value=1, max_value=100, initial=8, required=False
    )
    delivery_methods = forms.MultipleChoiceField(
        label=_("Only these delivery methods"), required=False, widget=forms.CheckboxSelectMultiple
    )
    placed_before = forms.DateTimeField(
        label=_("Only orders placed before (cut-off)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["warehouse"]).choices = [
            (w.code, f"{w.code} — {w.name}")
            for w in Warehouse.objects.filter(is_active=True).order_by("priority")
        ]
        cast(forms.ChoiceField, self.fields["delivery_methods"]).choices = [
            (m.code, m.display_name) for m in DeliveryMethod.objects.filter(is_active=True)
        ]


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Scan"), max_length=100, widget=forms.TextInput(attrs=SCAN_ATTRS))


class PickScanForm(ScanForm):
    """The handheld's scan: one scan confirms one unit, unless the picker typed a count first (the
    quantity key) to confirm that many with one scan."""

    quantity = forms.IntegerField(
        label=_("Units for the next scan (empty: one)"), min_value=1, max_value=100000, required=False
    )
    stock_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_quantity(self) -> int:
        return self.cleaned_data.get("quantity") or 1


class ShortForm(forms.Form):
    stock_id = forms.IntegerField(widget=forms.HiddenInput)
    found = forms.IntegerField(label=_("Units found"), min_value=0, max_value=100000, initial=0)


class PackForm(forms.Form):
    box = forms.ChoiceField(label=_("Box used"))
    weight_g = forms.IntegerField(
        label=_("Weight (g)"),
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["box"]).choices = [
            (box.code, str(box))
            for box in BoxSize.objects.filter(is_active=True).order_by("sort_order", "code")
        ]


class StartPackingForm(forms.Form):
    code = forms.CharField(
        label=_("Scan a tote or type an order number"),
        max_length=100,
        widget=forms.TextInput(attrs=SCAN_ATTRS),
    )
    warehouse = forms.ChoiceField(label=_("Warehouse"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["warehouse"]).choices = [
            (w.code, f"{w.code} — {w.name}")
            for w in Warehouse.objects.filter(is_active=True).order_by("priority")
        ]
