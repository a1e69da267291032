"""Back-office forms that belong to no single area."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import DomainError, InvalidInput

NAME_MAX = 120
# The English name is `name`; these are the other interface languages.
TRANSLATED = ("uk", "ru", "sv", "ar")
LTR = {"dir": "ltr", "size": "48"}
RTL = {"dir": "rtl", "size": "48"}


class NamesForm(forms.Form):
    """The English name of a delivery or payment method, a carrier or a carrier service, and its names in
    the other languages (an empty one shows the English name)."""

    # Each name is typed in its own direction, whatever the page's (an Arabic page, a Ukrainian name).
    name = forms.CharField(label=_("Name in English"), max_length=NAME_MAX, widget=forms.TextInput(LTR))
    name_uk = forms.CharField(
        label=_("Name in Ukrainian"), max_length=NAME_MAX, required=False, widget=forms.TextInput(LTR)
    )
    name_ru = forms.CharField(
        label=_("Name in Russian"), max_length=NAME_MAX, required=False, widget=forms.TextInput(LTR)
    )
    name_sv = forms.CharField(
        label=_("Name in Swedish"), max_length=NAME_MAX, required=False, widget=forms.TextInput(LTR)
    )
    name_ar = forms.CharField(
        label=_("Name in Arabic"), max_length=NAME_MAX, required=False, widget=forms.TextInput(RTL)
    )

    @staticmethod
    def initial_for(named: Any) -> dict[str, str]:
        initial = {"name": named.name}
        for code in TRANSLATED:
            initial[f"name_{code}"] = (named.name_translations or {}).get(code, "")
        return initial

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "name_translations": {code: data.get(f"name_{code}") or "" for code in TRANSLATED},
        }

    def add_service_error(self, exc: DomainError) -> None:
        """Show a refusal next to the field it names ("name_translations.uk" → name_uk)."""
        placed = False
        if isinstance(exc, InvalidInput):
            for key, message in exc.details.items():
                field = "name_" + key.split(".", 1)[1] if key.startswith("name_translations.") else key
                if field in self.fields:
                    self.add_error(field, str(message))
                    placed = True
        if not placed:
            self.add_error(None, exc.message)
