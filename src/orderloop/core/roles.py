"""Staff roles (DESIGN.md §6) as Django groups, each with an explicit list of permissions.

Later areas add their permissions here; `python manage.py setup_roles` (run by `make run` and deployments) syncs the
groups so each role has exactly the permissions listed.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ADMIN = "Admin"
MANAGER = "Manager"
WAREHOUSE = "Warehouse"
COURIER = "Courier"
SUPPORT = "Support"
ANALYST = "Analyst"

ROLE_LABELS = {
    ADMIN: _("Admin"),
    MANAGER: _("Manager"),
    WAREHOUSE: _("Warehouse"),
    COURIER: _("Courier"),
    SUPPORT: _("Support"),
    ANALYST: _("Analyst"),
}

ALL = "__all__"

CATALOG_READ = ["catalog.view_product", "catalog.view_variant", "catalog.view_category"]
CATALOG_WRITE = [
    "catalog.add_product",
    "catalog.change_product",
    "catalog.delete_product",
    "catalog.add_variant",
    "catalog.change_variant",
    "catalog.delete_variant",
    "catalog.add_category",
    "catalog.change_category",
    "catalog.import_catalog",
]
STOCK_READ = [
    "inventory.view_warehouse",
    "inventory.view_binlocation",
    "inventory.view_stocklevel",
    "inventory.view_stockmovement",
]
STOCK_WRITE = ["inventory.adjust_stock", "inventory.count_stock"]
WAREHOUSE_SETUP = [
    "inventory.add_warehouse",
    "inventory.change_warehouse",
    "inventory.add_binlocation",
    "inventory.change_binlocation",
]
ORDERS_READ = [
    "orders.view_order",
    "orders.view_orderevent",
    "orders.view_deliverymethod",
    "orders.view_paymentmethod",
]
ORDERS_WRITE = [
    "orders.add_order",
    "orders.change_order",
    "orders.cancel_order",
    "orders.hold_order",
    "orders.assign_order",
    "orders.note_order",
]

PAYMENTS_READ = [
    "payments.view_payment",
    "payments.view_refund",
    "payments.view_invoice",
    "payments.view_orderpaymentstate",
]
PAYMENTS_WRITE = [
    "payments.add_payment",
    "payments.record_transfer",
    "payments.record_cod",
    "payments.capture_payment",
    "payments.add_refund",
    "payments.confirm_refund",
    "payments.issue_invoice",
    "payments.view_bankstatementimport",
]
FULFILLMENT_READ = [
    "fulfillment.view_wave",
    "fulfillment.view_picklist",
    "fulfillment.view_parcel",
    "fulfillment.view_boxsize",
    "fulfillment.view_scanrecord",
]
# The warehouse releases waves, picks and packs.
FULFILLMENT_WRITE = ["fulfillment.release_wave", "fulfillment.pick_orders", "fulfillment.pack_orders"]
# The courier records the cash collected at the door.
PAYMENTS_COD = ["payments.record_cod"]
SHIPPING_READ = [
    "shipping.view_shipment",
    "shipping.view_shipmentevent",
    "shipping.view_carrier",
    "shipping.view_pickuppoint",
    "shipping.view_manifest",
]
# The warehouse creates labels, hands parcels over and prints manifests.
SHIPPING_WRITE = ["shipping.manage_shipments"]
# The courier sees and closes only their own deliveries (delivered / failed, cash collected).
SHIPPING_DELIVER = ["shipping.deliver_shipments"]
# The cash-on-delivery books: reading them (view_codcollection, view_codhandover) and recording the cash
# couriers hand in (reconcile_cod) are separate permissions.
COD_READ = ["shipping.view_codcollection", "shipping.view_codhandover"]
SHIPPING_COD = [*COD_READ, "shipping.reconcile_cod"]
# What customers were sent, when no mail server is configured (the demo's outbox).
OUTBOX_READ = ["notifications.view_outboxemail"]
PROMOTIONS_READ = ["promotions.view_coupon", "promotions.view_couponredemption"]
PROMOTIONS_WRITE = ["promotions.add_coupon", "promotions.change_coupon"]

PURCHASING_READ = [
    "purchasing.view_supplier",
    "purchasing.view_supplieritem",
    "purchasing.view_reorderrule",
    "purchasing.view_purchaseorder",
    "purchasing.view_receipt",
]
PURCHASING_WRITE = [
    "purchasing.add_supplier",
    "purchasing.change_supplier",
    "purchasing.add_supplieritem",
    "purchasing.change_supplieritem",
    "purchasing.delete_supplieritem",
    "purchasing.add_reorderrule",
    "purchasing.change_reorderrule",
    "purchasing.delete_reorderrule",
    "purchasing.add_purchaseorder",
    "purchasing.change_purchaseorder",
    "purchasing.send_purchaseorder",
]
# The warehouse counts deliveries in against purchase orders.
PURCHASING_RECEIVE = [
    "purchasing.view_supplier",
    "purchasing.view_purchaseorder",
    "purchasing.view_receipt",
    "purchasing.receive_purchaseorder",
]

RETURNS_READ = ["returns.view_returnrequest", "returns.view_returnpolicy", "returns.view_creditnote"]
# Support opens returns for customers (phone, email, chat) and reads them.
RETURNS_OPEN = ["returns.add_returnrequest"]
# The warehouse receives returned parcels (by scan) and inspects them.
RETURNS_WAREHOUSE = ["returns.view_returnrequest", "returns.receive_return", "returns.inspect_return"]
RETURNS_MANAGE = [
    "returns.add_returnrequest",
    "returns.approve_return",
    "returns.receive_return",
    "returns.inspect_return",
    "returns.refund_return",
    "returns.change_returnpolicy",
]

ROLE_PERMISSIONS: dict[str, list[str] | str] = {
    ADMIN: ALL,
    MANAGER: [
        *CATALOG_READ,
        *CATALOG_WRITE,
        *STOCK_READ,
        *ORDERS_READ,
        *ORDERS_WRITE,
        *PAYMENTS_READ,
        *PAYMENTS_WRITE,
        *OUTBOX_READ,
        *PROMOTIONS_READ,
        *PROMOTIONS_WRITE,
        *PURCHASING_READ,
        *PURCHASING_WRITE,
        *FULFILLMENT_READ,
        *RETURNS_READ,
        *RETURNS_MANAGE,
        *SHIPPING_READ,
        *SHIPPING_WRITE,
        *SHIPPING_COD,
        "shipping.import_pickup_points",
    ],
    WAREHOUSE: [
        *CATALOG_READ,
        *STOCK_READ,
        *STOCK_WRITE,
        "inventory.change_binlocation",
        *ORDERS_READ,
        *PURCHASING_RECEIVE,
        *FULFILLMENT_READ,
        *FULFILLMENT_WRITE,
        *RETURNS_WAREHOUSE,
        *SHIPPING_READ,
        *SHIPPING_WRITE,
    ],
    COURIER: [*PAYMENTS_COD, *SHIPPING_DELIVER],
    SUPPORT: [
        *CATALOG_READ,
        *STOCK_READ,
        *ORDERS_READ,
        "orders.note_order",
        *PAYMENTS_READ,
        *OUTBOX_READ,
        "fulfillment.view_parcel",
        *RETURNS_READ,
        *RETURNS_OPEN,
        *SHIPPING_READ,
    ],
    # The analyst reads the return analytics feed (and the returns behind it) and the COD cash books.
    ANALYST: [
        *CATALOG_READ,
        *STOCK_READ,
        *ORDERS_READ,
        *PURCHASING_READ,
        *FULFILLMENT_READ,
        *RETURNS_READ,
        *SHIPPING_READ,
        *COD_READ,
    ],
}


def role_names() -> list[str]:
    return list(ROLE_PERMISSIONS)


def normalize_role(name: str) -> str | None:
    for role in ROLE_PERMISSIONS:
        if role.lower() == (name or "").strip().lower():
            return role
    return None
