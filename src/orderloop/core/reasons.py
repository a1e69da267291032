"""Reasons in timelines, in words. Services store a stable code as an event's reason ("all_parcels_packed")
or a code with a reference ("wave W1", "shipment 2045…", "return R1042-1"): reports and the API read the
code, pages show the words in the reader's language (`{{ event.reason|reason_text }}`). A reason a person
typed (a cancellation, a rejection) is no code and is shown as typed."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REASONS: dict[str, Promise] = {
    # Orders
    "prepaid_payment_method": _("Paid in advance: waiting for the payment"),
    "edit_backordered": _("Edited: some units wait for stock"),
    "payment_timeout": _("Not paid in time"),
    "backorder_allocated": _("Stock reserved for the backorder"),
    "stock_received": _("The missing stock arrived"),
    # Risk flags (the order card's badges say the same)
    "cod_refused_before": _("Refused parcels before"),
    "phone_country_mismatch": _("Phone country"),
    "large_first_order": _("Large first order"),
    "duplicate_order": _("Possible duplicate"),
    # Fulfilment
    "all_parcels_packed": _("All parcels packed"),
    "partially_fulfilled": _("Packed in part; the rest waits for stock"),
    "short_pick": _("Short pick: waiting for stock"),
    "parcel_reopened": _("Parcel reopened"),
    # Payments
    "card_payment": _("Card payment"),
    "card_payment_refresh": _("Card payment checked"),
    "card_declined": _("Card declined"),
    "payment_captured": _("Payment captured"),
    "refunded in Stripe": _("Refunded in Stripe"),
    "cod_collected": _("Cash collected on delivery"),
    "transfer_received": _("Bank transfer received"),
    "refund_requested": _("Refund requested"),
    "refund": _("Refund"),
    "refund_confirmed": _("Refund confirmed"),
    "refund_cancelled": _("Refund cancelled"),
    "order_edited": _("Order edited"),
    "invoice_issued": _("Invoice issued"),
    "bank_statement": _("Bank statement"),
    # Returns (an opened return's reason is the channel it came through)
    "policy": _("Approved by the return policy"),
    "returns settled": _("Returns settled"),
    "refused at delivery": _("Refused at delivery"),
    "tracking_page": _("Follow-the-order page"),
    "portal": _("Return portal"),
    "staff": _("Staff (phone, email, chat)"),
    "api": _("API"),
    "refused": _("Refused at delivery"),
    # Purchasing
    "goods_received": _("Goods received"),
    "email_again": _("Sent by email again"),
    "replenishment": _("Replenishment"),
}

# Codes followed by a reference, longest prefix first: the reference is kept as it is.
WITH_REFERENCE: tuple[tuple[str, str, Promise], ...] = (
    ("return ", " (exchange)", _("Exchange for return %(ref)s")),
    ("return ", "", _("Return %(ref)s")),
    ("wave ", "", _("Pick wave %(ref)s")),
    ("shipment ", "", _("Shipment %(ref)s")),
    ("stripe:", "", _("Stripe: %(ref)s")),
)


def reason_text(reason: str) -> str:
    """The reason in words in the active language; text that is no known code comes back unchanged."""
    reason = reason or ""
    label = REASONS.get(reason)
    if label is not None:
        return str(label)
    for prefix, suffix, pattern in WITH_REFERENCE:
        if reason.startswith(prefix) and reason.endswith(suffix) and len(reason) > len(prefix) + len(suffix):
            reference = reason[len(prefix) : len(reason) - len(suffix)].strip()
            if reference and " " not in reference:
                return str(pattern) % {"ref": reference}
    return reason
