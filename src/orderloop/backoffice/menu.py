"""The back office's main menu: the pages grouped by job, each item shown only to staff whose role has
the permission its page checks (the same permission as the view's decorator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: Promise
    url_name: str
    # None: every signed-in user; several: any one of them opens the page.
    permission: str | tuple[str, ...] | None


@dataclass(frozen=True)
class MenuGroup:
    key: str
    label: Promise
    items: tuple[MenuItem, ...]


MENU: tuple[MenuGroup, ...] = (
    MenuGroup(
        "orders",
        _("Orders"),
        (
            MenuItem(_("All orders"), "orders:order_list", "orders.view_order"),
            MenuItem(_("New phone order"), "orders:order_create", "orders.add_order"),
            MenuItem(_("Order imports"), "intake:import_create", "orders.add_order"),
            MenuItem(_("Bank statements"), "payments:statement_upload", "payments.record_transfer"),
        ),
    ),
    MenuGroup(
        "warehouse",
        _("Warehouse"),
        (
            MenuItem(_("Fulfilment"), "fulfillment:queue", "fulfillment.view_wave"),
            MenuItem(_("Pick"), "fulfillment:pick_start", "fulfillment.pick_orders"),
            MenuItem(_("Pack"), "fulfillment:pack_start", "fulfillment.pack_orders"),
            MenuItem(_("Stock"), "inventory:stock_list", "inventory.view_stocklevel"),
            MenuItem(_("Adjust stock"), "inventory:stock_adjust", "inventory.adjust_stock"),
            MenuItem(_("Count stock"), "inventory:stock_count", "inventory.count_stock"),
            MenuItem(_("Stock ledger"), "inventory:stock_movements", "inventory.view_stockmovement"),
            MenuItem(_("Warehouses"), "inventory:warehouse_list", "inventory.view_warehouse"),
        ),
    ),
    MenuGroup(
        "shipping",
        _("Shipping"),
        (
            MenuItem(_("Shipping desk"), "shipping:desk", "shipping.view_shipment"),
            MenuItem(_("My deliveries"), "shipping:courier", "shipping.deliver_shipments"),
            MenuItem(_("Cash on delivery"), "shipping:cod", "shipping.view_codcollection"),
            MenuItem(_("Pickup points"), "shipping:pickup_points", "shipping.view_pickuppoint"),
        ),
    ),
    MenuGroup(
        "returns",
        _("Returns"),
        (
            MenuItem(_("All returns"), "returns:list", "returns.view_returnrequest"),
            MenuItem(_("New return"), "returns:new", "returns.add_returnrequest"),
            MenuItem(_("Return analytics"), "returns:analytics", "returns.view_returnrequest"),
            MenuItem(_("Return policies"), "returns:policies", "returns.view_returnpolicy"),
        ),
    ),
    MenuGroup(
        "purchasing",
        _("Purchasing"),
        (
            MenuItem(_("Purchase orders"), "purchasing:po_list", "purchasing.view_purchaseorder"),
            MenuItem(_("Replenishment"), "purchasing:replenishment", "purchasing.view_reorderrule"),
            MenuItem(_("Reorder rules"), "purchasing:rule_list", "purchasing.view_reorderrule"),
            MenuItem(_("Suppliers"), "purchasing:supplier_list", "purchasing.view_supplier"),
        ),
    ),
    MenuGroup(
        "catalog",
        _("Catalog"),
        (
            MenuItem(_("Products"), "catalog:product_list", "catalog.view_product"),
            MenuItem(_("Import products"), "catalog:product_import", "catalog.import_catalog"),
            MenuItem(_("Coupons"), "promotions:coupon_list", "promotions.view_coupon"),
        ),
    ),
    MenuGroup(
        "settings",
        _("Settings"),
        (
            MenuItem(_("API tokens"), "backoffice:api_tokens", None),
            MenuItem(_("Sent emails"), "notifications:outbox", "notifications.view_outboxemail"),
            MenuItem(
                _("Names of delivery, payment and carriers"),
                "backoffice:names",
                (
                    "orders.change_deliverymethod",
                    "orders.change_paymentmethod",
                    "shipping.change_carrier",
                    "shipping.change_carrierservice",
                ),
            ),
            MenuItem(
                _("Change history"),
                "backoffice:change_history",
                (
                    "orders.view_deliverymethod",
                    "orders.view_paymentmethod",
                    "auth.view_group",
                    "auth.view_user",
                ),
            ),
        ),
    ),
)


@dataclass
class ShownItem:
    label: Promise
    url: str
    current: bool = False


@dataclass
class ShownGroup:
    key: str
    label: Promise
    items: list[ShownItem]
    current: bool = False


def _may_open(user: Any, permission: str | tuple[str, ...] | None) -> bool:
    if permission is None:
        return True
    if isinstance(permission, str):
        return bool(user.has_perm(permission))
    return any(user.has_perm(one) for one in permission)


def menu_for(user: Any, path: str) -> list[ShownGroup]:
    """The groups with the items `user` may open (groups left empty are dropped); the item whose address
    is the longest prefix of `path` is the current one, and its group too."""
    shown = []
    for group in MENU:
        items = [
            ShownItem(label=item.label, url=reverse(item.url_name))
            for item in group.items
            if _may_open(user, item.permission)
        ]
        if items:
            shown.append(ShownGroup(key=group.key, label=group.label, items=items))
    matches = [
        (len(item.url), shown_group, item)
        for shown_group in shown
        for item in shown_group.items
        if item.url != "/" and path.startswith(item.url)
    ]
    if matches:
        _length, current_group, current_item = max(matches, key=lambda match: match[0])
        current_group.current = current_item.current = True
    return shown
