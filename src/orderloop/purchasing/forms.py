"""Back-office forms of purchasing: they parse and check the input's shape; services apply the rules and
the views put a service's refusal back on the form (`add_domain_error`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from orderloop.inventory.forms import SCANNER_ATTRS, WarehouseChoiceField, add_domain_error
from orderloop.inventory.selectors import warehouses

from .models import ReorderMethod, Supplier

__all__ = ["add_domain_error"]

SKU_ATTRS = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}


class SupplierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} — {obj.name}"


def _languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class SupplierForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), required=False, help_text=_("Purchase orders are sent here."))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(
        label=_("Address"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    language = forms.ChoiceField(label=_("Language of orders"), choices=_languages)
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("ISO 4217, e.g. EUR."))
    lead_time_days = forms.IntegerField(label=_("Lead time (days)"), min_value=0, max_value=365, initial=7)
    min_order_quantity = forms.IntegerField(label=_("Minimum order quantity"), min_value=1, initial=1)
    pack_size = forms.IntegerField(label=_("Pack size"), min_value=1, initial=1)
    buyer = forms.CharField(label=_("Buyer (username)"), max_length=150, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def initial_for(cls, supplier: Supplier) -> dict[str, Any]:
        return {
            "code": supplier.code,
            "name": supplier.name,
            "contact_name": supplier.contact_name,
            "email": supplier.email,
            "phone": supplier.phone,
            "address": supplier.address,
            "language": supplier.language,
            "currency": supplier.currency,
            "lead_time_days": supplier.lead_time_days,
            "min_order_quantity": supplier.min_order_quantity,
            "pack_size": supplier.pack_size,
            "buyer": supplier.buyer.get_username() if supplier.buyer else "",
            "notes": supplier.notes,
            "is_active": supplier.is_active,
        }


class PriceRowForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64, widget=forms.TextInput(attrs=SKU_ATTRS))
    price = forms.DecimalField(label=_("Unit price"), min_value=0, max_digits=12, decimal_places=2)
    currency = forms.CharField(
        label=_("Currency"), max_length=3, required=False, help_text=_("Empty: the supplier's.")
    )
    supplier_sku = forms.CharField(label=_("Supplier's SKU"), max_length=64, required=False)
    min_order_quantity = forms.IntegerField(label=_("MOQ"), min_value=1, required=False)
    pack_size = forms.IntegerField(label=_("Pack size"), min_value=1, required=False)
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"), min_value=0, max_value=365, required=False
    )
    preferred = forms.BooleanField(label=_("Preferred supplier for this item"), required=False)


class PriceImportForm(forms.Form):
    file = forms.FileField(
        label=_("Price list (CSV)"),
        help_text=_(
            "Columns: sku, price; optional currency, supplier_sku, moq, pack_size, lead_time_days, preferred."
        ),
    )


class ReorderRuleForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64, widget=forms.TextInput(attrs=SKU_ATTRS))
    warehouse = WarehouseChoiceField(
        label=_("Warehouse"), queryset=warehouses(active_only=True), to_field_name="code"
    )
    method = forms.ChoiceField(label=_("Method"), choices=ReorderMethod.choices)
    min_quantity = forms.IntegerField(label=_("Minimum"), min_value=0, required=False)
    max_quantity = forms.IntegerField(label=_("Maximum"), min_value=0, required=False)
    safety_stock = forms.IntegerField(label=_("Safety stock"), min_value=0, initial=0)
    velocity_days = forms.IntegerField(label=_("Sales window (days)"), min_value=1, max_value=365, initial=28)
    review_days = forms.IntegerField(
        label=_("Days of sales per order"), min_value=0, max_value=365, initial=14
    )
    responsible = forms.CharField(label=_("Responsible (username)"), max_length=150, required=False)


class PurchaseOrderForm(forms.Form):
    supplier = SupplierChoiceField(
        label=_("Supplier"),
        queryset=Supplier.objects.filter(is_active=True).order_by("name"),
        to_field_name="code",
    )
    warehouse = WarehouseChoiceField(
        label=_("Deliver to"), queryset=warehouses(active_only=True), to_field_name="code"
    )
    currency = forms.CharField(
        label=_("Currency"), max_length=3, required=False, help_text=_("Empty: the supplier's.")
    )
    sku = forms.CharField(label=_("First item (SKU)"), max_length=64, widget=forms.TextInput(attrs=SKU_ATTRS))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    note = forms.CharField(
        label=_("Note to the supplier"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64, widget=forms.TextInput(attrs=SKU_ATTRS))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, help_text=_("0 removes the line."))
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the supplier's price."),
    )


class SendForm(forms.Form):
    expected_date = forms.DateField(
        label=_("Expected delivery"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: today + the supplier's lead time."),
    )


class ExpectedDateForm(forms.Form):
    expected_date = forms.DateField(
        label=_("Expected delivery"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class ScanForm(forms.Form):
    """The receiving page's scan field: a keyboard-wedge scanner types the code and presses Enter."""

    scan = forms.CharField(
        label=_("Scan or type a barcode / SKU"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={**SCANNER_ATTRS, "id": "scan"}),
    )
    note = forms.CharField(label=_("Delivery note / remark"), max_length=500, required=False)
