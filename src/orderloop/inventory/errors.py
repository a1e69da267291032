from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, InvalidInput, NotFound


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = _("Not enough stock available.")


class StockBelowReserved(Conflict):
    code = "stock_below_reserved"
    default_message = _("On-hand stock cannot drop below the units reserved for orders.")


class VariantNotFound(NotFound):
    code = "variant_not_found"
    default_message = _("No variant has this SKU.")


class WarehouseNotFound(NotFound):
    code = "warehouse_not_found"
    default_message = _("No warehouse has this code.")


class BinNotFound(NotFound):
    code = "bin_not_found"
    default_message = _("No bin location in this warehouse has this code.")


class DuplicateWarehouse(Conflict):
    code = "duplicate_warehouse"
    default_message = _("A warehouse with this code already exists.")


class DuplicateBin(Conflict):
    code = "duplicate_bin"
    default_message = _("This warehouse already has a bin location with this code.")


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"
    default_message = _("The quantity is not valid.")
