"""Errors of the fulfilment area, each with a stable code (the API returns it as `code`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, InvalidInput, NotFound


class WaveNotFound(NotFound):
    code = "wave_not_found"
    default_message = _("No such wave.")


class PickListNotFound(NotFound):
    code = "pick_list_not_found"
    default_message = _("No such pick list.")


class ParcelNotFound(NotFound):
    code = "parcel_not_found"
    default_message = _("No such parcel.")


class BoxSizeNotFound(InvalidInput):
    code = "box_size_not_found"
    default_message = _("No active box size has this code.")


class NothingToPick(Conflict):
    code = "nothing_to_pick"
    default_message = _("No order is ready to be picked with these filters.")


class NothingToPack(Conflict):
    code = "nothing_to_pack"
    default_message = _("Nothing of this order was picked here and is waiting to be packed.")


class PickListTaken(Conflict):
    code = "pick_list_taken"
    default_message = _("Another picker is working on this pick list.")


class PickListDone(Conflict):
    code = "pick_list_done"
    default_message = _("This pick list is already done.")


class PickRowNotFound(NotFound):
    code = "pick_row_not_found"
    default_message = _("Nothing is left to pick from this bin on this list.")


class WrongPickScan(Conflict):
    """The scanned code is neither a bin nor a product still to be picked on this list."""

    code = "wrong_pick_scan"
    default_message = _("This code is not a bin or product on this pick list.")


class ScanRefused(Conflict):
    """A packing scan that was refused (and recorded). The code says why."""

    code = "scan_refused"
    default_message = _("This scan was refused.")


class WrongItem(ScanRefused):
    code = "wrong_item"
    default_message = _("Wrong item: this product is not in the order. Put it aside.")


class TooMany(ScanRefused):
    code = "too_many"
    default_message = _("Too many: every unit of this product is packed already.")


class UnknownCode(ScanRefused):
    code = "unknown_code"
    default_message = _("No product has this code.")


SCAN_REFUSALS: dict[str, type[ScanRefused]] = {
    "wrong_item": WrongItem,
    "too_many": TooMany,
    "unknown_code": UnknownCode,
}


class ParcelNotOpen(Conflict):
    code = "parcel_not_open"
    default_message = _("The parcel is not open for packing.")


class ParcelEmpty(Conflict):
    code = "parcel_empty"
    default_message = _("Scan the items into the parcel first.")


class ParcelTooHeavy(InvalidInput):
    code = "parcel_too_heavy"
    default_message = _("The parcel is heavier than the box may carry; split it into two parcels.")


class InvalidParcelTransition(Conflict):
    code = "invalid_parcel_transition"
    default_message = _("The parcel cannot move to this status from its current status.")


class OrderNotInWarehouse(Conflict):
    code = "order_not_in_warehouse"
    default_message = _("The order is not being picked or packed.")
