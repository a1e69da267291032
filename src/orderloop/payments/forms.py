from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class AmountForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2)


class TransferForm(AmountForm):
    reference = forms.CharField(label=_("Bank reference"), max_length=255, required=False)


class RefundForm(AmountForm):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class RefundConfirmForm(forms.Form):
    reference = forms.CharField(label=_("Transfer reference"), max_length=255, required=False)


class StatementForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement (CSV)"),
        help_text=_("Columns: amount and reference (or details); date, currency and id when present."),
    )
