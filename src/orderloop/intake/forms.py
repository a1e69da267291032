"""The upload form of order imports. Shapes only: the file's rules live in services and parsing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IMPORT_CHANNELS

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class OrderImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("UTF-8 CSV (one row per order line) or JSON (a list of orders).")
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(c.value, c.label) for c in IMPORT_CHANNELS], initial=IMPORT_CHANNELS[0]
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("Detect from the file")), ("csv", "CSV"), ("json", "JSON")],
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it into several files."))
        return upload
