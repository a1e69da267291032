from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CouponKind


class CouponForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=CouponKind.choices)
    value = forms.DecimalField(label=_("Value"), max_digits=12, decimal_places=2)
    currency = forms.CharField(label=_("Currency (fixed amount)"), max_length=3, required=False)
    min_subtotal = forms.DecimalField(
        label=_("Minimum order value"), max_digits=12, decimal_places=2, required=False
    )
    valid_from = forms.DateTimeField(
        label=_("Valid from"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    max_uses = forms.IntegerField(label=_("Use limit"), min_value=1, required=False)
    max_uses_per_customer = forms.IntegerField(label=_("Uses per customer"), min_value=1, required=False)
