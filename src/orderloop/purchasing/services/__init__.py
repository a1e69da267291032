"""Every write of purchasing, one module per concern; the names are re-exported here so callers keep
writing `services.purchase_order_send(...)`.

Each service is one transaction; a purchase order's status changes only through `_common._move` (row
locked, core's StateMachine checks the table of domain.py, saves and records the domain event
`purchase_order.<status>`; the step also goes to the order's readable timeline).

Locks, always in this order: the purchase order row → order rows (backorders, ascending id) → stock
rows (ascending id). Stock quantities change only through inventory services (a ledger row for every
change of on_hand or reserved); `incoming` follows the open purchase orders exactly.
"""

from ._common import MAX_LINES, MAX_QUANTITY, MAX_TEXT, Actor
from .orders import (
    LineInput,
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_create,
    purchase_order_email,
    purchase_order_line_set,
    purchase_order_send,
    purchase_order_update,
)
from .price_lists import (
    PriceListReport,
    price_list_import,
    supplier_item_delete,
    supplier_item_prefer,
    supplier_item_set,
)
from .receiving import ReceiptInput, receipt_create
from .reorder_rules import reorder_rule_delete, reorder_rule_set
from .replenishment import (
    LOW_STOCK_MESSAGE,
    LowStockReport,
    low_stock_check,
    purchase_orders_from_suggestions,
)
from .supplier_messages import supplier_message_send, supplier_message_takeover_at
from .suppliers import supplier_create, supplier_update

__all__ = [
    "LOW_STOCK_MESSAGE",
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_TEXT",
    "Actor",
    "LineInput",
    "LowStockReport",
    "PriceListReport",
    "ReceiptInput",
    "low_stock_check",
    "price_list_import",
    "purchase_order_cancel",
    "purchase_order_close",
    "purchase_order_create",
    "purchase_order_email",
    "purchase_order_line_set",
    "purchase_order_send",
    "purchase_order_update",
    "purchase_orders_from_suggestions",
    "receipt_create",
    "reorder_rule_delete",
    "reorder_rule_set",
    "supplier_create",
    "supplier_item_delete",
    "supplier_item_prefer",
    "supplier_item_set",
    "supplier_message_send",
    "supplier_message_takeover_at",
    "supplier_update",
]
