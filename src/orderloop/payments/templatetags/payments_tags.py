from __future__ import annotations

from decimal import Decimal

from django import template

from orderloop.core.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | str | None, currency: str) -> str:
    """`{{ payment.amount|money:payment.currency }}` → "129,90 ₴" in the current language."""
    if amount in (None, ""):
        return ""
    return format_money(Decimal(str(amount)), currency)
