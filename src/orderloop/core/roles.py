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
FULFILMENT_READ = [
    "fulfillment.view_wave",
    "fulfillment.view_picklist",
    "fulfillment.view_parcel",
    "fulfillment.view_boxsize",
    "fulfillment.view_scanrecord",
]
# The warehouse releases waves, picks and packs.
FULFILMENT_WRITE = ["fulfillment.release_wave", "fulfillment.pick_orders", "fulfillment.pack_orders"]
# The courier records the cash collected at the door.
PAYMENTS_COD = ["payments.record_cod"]

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
        *FULFILMENT_READ,
    ],
    WAREHOUSE: [
        *CATALOG_READ,
        *STOCK_READ,
        *STOCK_WRITE,
        "inventory.change_binlocation",
        *ORDERS_READ,
        *FULFILMENT_READ,
        *FULFILMENT_WRITE,
    ],
    COURIER: [*PAYMENTS_COD],
    SUPPORT: [
        *CATALOG_READ,
        *STOCK_READ,
        *ORDERS_READ,
        "orders.note_order",
        *PAYMENTS_READ,
        "fulfillment.view_parcel",
    ],
    ANALYST: [*CATALOG_READ, *STOCK_READ, *ORDERS_READ, *FULFILMENT_READ],
}


def role_names() -> list[str]:
    return list(ROLE_PERMISSIONS)


def normalize_role(name: str) -> str | None:
    for role in ROLE_PERMISSIONS:
        if role.lower() == (name or "").strip().lower():
            return role
    return None
