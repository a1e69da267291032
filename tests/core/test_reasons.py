"""Reasons in timelines are shown in words of the reader's language; the stored code stays a code."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from orderloop.core.reasons import REASONS, reason_text

# Names that read the same in every language.
SAME_EVERYWHERE = {"api"}


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_reason_code_reads_as_words_in_every_language(language: str) -> None:
    with translation.override("en"):
        english = {code: reason_text(code) for code in REASONS}
    with translation.override(language):
        for code in REASONS:
            text = reason_text(code)
            assert text and text != code, f"{code!r} shows as a code in {language}"
            if language != "en" and code not in SAME_EVERYWHERE:
                assert text != english[code], f"{code!r} is not translated into {language}"


def test_codes_with_a_reference_keep_the_reference() -> None:
    with translation.override("uk"):
        assert reason_text("wave W1") == "Хвиля збирання W1"
        assert reason_text("return R1042-1") == "Повернення R1042-1"
        assert reason_text("return R1042-1 (exchange)") == "Обмін за поверненням R1042-1"
        assert reason_text("shipment 20450000123456") == "Відправлення 20450000123456"
        assert reason_text("all_parcels_packed") == "Усі посилки запаковано"
    with translation.override("ar"):
        assert reason_text("wave W1") == "موجة الانتقاء W1"
    with translation.override("en"):
        assert reason_text("stripe:charge.refunded") == "Stripe: charge.refunded"


def test_a_reason_someone_typed_is_shown_as_typed() -> None:
    with translation.override("uk"):
        assert reason_text("Customer asked to wait until Friday") == "Customer asked to wait until Friday"
        assert reason_text("return it to the shelf") == "return it to the shelf"
        assert reason_text("") == ""
