"""Errors of purchasing, each with a stable code (the API answers `{"code", "message", "details"}`)."""

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import Conflict, InvalidInput, NotFound


class SupplierNotFound(NotFound):
    code = "supplier_not_found"
    default_message = _("No supplier has this code.")


class DuplicateSupplier(Conflict):
    code = "duplicate_supplier"
    default_message = _("A supplier with this code already exists.")


class SupplierInactive(Conflict):
    code = "supplier_inactive"
    default_message = _("This supplier is not active.")


class SupplierItemNotFound(NotFound):
    code = "supplier_price_not_found"
    default_message = _("This supplier has no price for this item.")


class NoSupplierPrice(InvalidInput):
    code = "no_supplier_price"
    default_message = _("The supplier has no price for this item in the order's currency; give a unit price.")


class ReorderRuleNotFound(NotFound):
    code = "reorder_rule_not_found"
    default_message = _("No reorder rule for this item in this warehouse.")


class PurchaseOrderNotFound(NotFound):
    code = "purchase_order_not_found"
    default_message = _("No purchase order has this number.")


class InvalidPurchaseOrderTransition(Conflict):
    code = "invalid_purchase_order_transition"
    default_message = _("The purchase order cannot move to this status from its current one.")


class PurchaseOrderNotEditable(Conflict):
    code = "purchase_order_not_editable"
    default_message = _("Only a draft purchase order can be changed.")


class PurchaseOrderEmpty(Conflict):
    code = "purchase_order_empty"
    default_message = _("A purchase order needs at least one line.")


class PurchaseOrderNotReceivable(Conflict):
    code = "purchase_order_not_receivable"
    default_message = _("Goods can only be received against a sent or partially received purchase order.")


class NotOnPurchaseOrder(InvalidInput):
    code = "not_on_purchase_order"
    default_message = _("This item is not on the purchase order.")


class PriceListInvalid(InvalidInput):
    code = "price_list_invalid"
    default_message = _("The price list has errors; nothing was imported.")
