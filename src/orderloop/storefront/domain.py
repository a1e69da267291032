"""Pure rules of the storefront: how an order's status reads to the customer, and which of the
order's events the customer sees. No ORM here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from orderloop.orders.models import OrderStatus

S = OrderStatus


@dataclass(frozen=True)
class CustomerStatus:
    title: str
    explanation: str
    next_step: str


def customer_status(status: str, *, payment_kind: str, paid: bool, delivery_kind: str) -> CustomerStatus:
    """The status in the customer's words: where the order is and what happens next."""
    pickup = delivery_kind in {"pickup_point", "store_pickup"}
    if status == S.NEW:
        if payment_kind in {"card", "prepayment"} and not paid:
            return CustomerStatus(
                _("Waiting for your payment"),
                _("We have your order and have put the items aside for you."),
                _("Pay for the order to send it on its way."),
            )
        if payment_kind == "bank_transfer" and not paid:
            return CustomerStatus(
                _("Waiting for your bank transfer"),
                _("We have your order and have put the items aside for you."),
                _("Transfer the amount with the payment reference; we start as soon as it arrives."),
            )
        return CustomerStatus(
            _("Order received"),
            _("We have your order and have put the items aside for you."),
            _("We check the details and confirm the order, usually within the hour on working days."),
        )
    if status == S.CONFIRMED:
        return CustomerStatus(
            _("Order confirmed"),
            _("We checked the details of your order."),
            _("The warehouse picks and packs it next."),
        )
    if status == S.AWAITING_PAYMENT:
        return CustomerStatus(
            _("Waiting for your payment"),
            _("Your order is confirmed and waits for the payment."),
            _("Pay for the order to send it on its way; unpaid orders are cancelled after a few days."),
        )
    if status == S.PARTIALLY_PAID:
        return CustomerStatus(
            _("Prepayment received"),
            _("Thank you: your prepayment has arrived."),
            _("The warehouse packs the order; you pay the rest on delivery."),
        )
    if status == S.PAID:
        return CustomerStatus(
            _("Payment received"),
            _("Thank you: your payment has arrived."),
            _("The warehouse picks and packs your order next."),
        )
    if status == S.AWAITING_STOCK:
        return CustomerStatus(
            _("Waiting for stock"),
            _("Some items are on their way to our warehouse."),
            _("We send the order as soon as everything has arrived."),
        )
    if status == S.PICKING:
        return CustomerStatus(
            _("Being packed"),
            _("The warehouse is collecting your items."),
            _("Your parcel is handed to the carrier next."),
        )
    if status == S.PACKED:
        return CustomerStatus(
            _("Packed"),
            _("Your parcel is packed."),
            _("It is handed to the carrier next."),
        )
    if status in {S.SHIPPED, S.IN_TRANSIT}:
        return CustomerStatus(
            _("On its way"),
            _("Your parcel is with the carrier."),
            _("Follow the parcel with the tracking link.")
            if not pickup
            else _("We tell you when it is ready for pickup."),
        )
    if status == S.READY_FOR_PICKUP:
        return CustomerStatus(
            _("Ready for pickup"),
            _("Your parcel is waiting for you."),
            _("Collect it with your order number and your phone."),
        )
    if status == S.DELIVERED:
        return CustomerStatus(
            _("Delivered"),
            _("Your order has been delivered. Enjoy!"),
            _("Something not right? You can return items within the return window."),
        )
    if status == S.COMPLETED:
        return CustomerStatus(
            _("Completed"), _("This order is complete."), _("Thank you for shopping with us.")
        )
    if status == S.RETURN_REQUESTED:
        return CustomerStatus(
            _("Return requested"),
            _("We have your return request."),
            # True at every step of the return (sending, checking, refunding), not only the first.
            _("Each return below shows where it is, and we email you at every step."),
        )
    if status == S.PARTIALLY_RETURNED:
        return CustomerStatus(
            _("Partially returned"),
            _("Some of your items came back to us and your return has been processed."),
            _("You can still return the other items within the return window."),
        )
    if status == S.RETURNED:
        return CustomerStatus(
            _("Returned"),
            _("Your return has been processed."),
            _("The refund goes back to the way you paid."),
        )
    if status == S.REFUSED:
        return CustomerStatus(
            _("Not accepted"),
            _("The parcel was not accepted at delivery and goes back to us."),
            _("Contact us if this was a mistake."),
        )
    return CustomerStatus(
        _("Cancelled"),
        _("This order has been cancelled."),
        _("Any payment made is refunded to the way you paid."),
    )


def cancellation_text(reason: str) -> str:
    if reason == "payment_timeout":
        return _("Cancelled: the payment did not arrive in time")
    return _("Cancelled")


# The status changes a customer sees on the timeline, in their words.
def timeline_label(to_status: str, reason: str = "") -> str | None:
    labels = {
        S.CONFIRMED: _("Order confirmed"),
        S.PARTIALLY_PAID: _("Prepayment received"),
        S.PAID: _("Payment received"),
        S.AWAITING_STOCK: _("Waiting for stock"),
        S.PICKING: _("Being packed"),
        S.PACKED: _("Packed"),
        S.SHIPPED: _("Handed to the carrier"),
        S.IN_TRANSIT: _("On its way"),
        S.READY_FOR_PICKUP: _("Ready for pickup"),
        S.DELIVERED: _("Delivered"),
        S.COMPLETED: _("Completed"),
        S.RETURN_REQUESTED: _("Return requested"),
        S.PARTIALLY_RETURNED: _("Partially returned"),
        S.RETURNED: _("Returned"),
        S.REFUSED: _("Not accepted at delivery"),
    }
    if to_status == S.CANCELLED:
        return cancellation_text(reason)
    return labels.get(to_status)  # type: ignore[call-overload]
