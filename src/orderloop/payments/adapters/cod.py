"""Cash on delivery: the courier or carrier collects the money at the door; staff (or the courier) record
it with `payment_record_cod_collected`. Nothing to authorize: the order proceeds unpaid (DESIGN.md §2)."""

from __future__ import annotations

from .manual import ManualProvider


class CashOnDeliveryProvider(ManualProvider):
    code = "cash"
