"""Seed the default delivery and payment methods (editable later; codes are what clients send)."""

from decimal import Decimal

from django.conf import settings
from django.db import migrations

DELIVERY_METHODS = [
    # code, name, kind, countries (empty: everywhere), price, sort order
    ("door_delivery", "Courier to the door", "courier", [], Decimal("120.00"), 10),
    ("pickup_point", "Pickup point", "pickup_point", ["UA"], Decimal("70.00"), 20),
    ("express", "Express courier", "courier", ["UA"], Decimal("250.00"), 30),
    ("store_pickup", "Pickup in store", "store_pickup", [], Decimal("0.00"), 40),
]

PAYMENT_METHODS = [
    # code, name, kind, is_prepaid, sort order
    ("card", "Card", "card", True, 10),
    ("cod", "Cash on delivery", "cod", False, 20),
    ("bank_transfer", "Bank transfer", "bank_transfer", True, 30),
    ("prepayment", "Prepayment", "prepayment", True, 40),
]


def seed(apps, schema_editor):
    DeliveryMethod = apps.get_model("orders", "DeliveryMethod")
    PaymentMethod = apps.get_model("orders", "PaymentMethod")
    currency = getattr(settings, "ORDERLOOP", {}).get("DEFAULT_CURRENCY", "UAH")
    for code, name, kind, countries, price, order in DELIVERY_METHODS:
        DeliveryMethod.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "countries": countries,
                "price_amount": price,
                "currency": currency,
                "sort_order": order,
            },
        )
    for code, name, kind, is_prepaid, order in PAYMENT_METHODS:
        PaymentMethod.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "is_prepaid": is_prepaid, "sort_order": order}
        )


def unseed(apps, schema_editor):
    apps.get_model("orders", "DeliveryMethod").objects.filter(
        code__in=[row[0] for row in DELIVERY_METHODS], orders__isnull=True
    ).delete()
    apps.get_model("orders", "PaymentMethod").objects.filter(
        code__in=[row[0] for row in PAYMENT_METHODS], orders__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_orders_lines_allocations_events")]

    operations = [migrations.RunPython(seed, unseed)]
