"""Seed the built-in carriers (the shop's couriers, pickup in store) and the two real carriers (Nova
Poshta for Ukraine, PostNord for Sweden), their services, and which service each seeded delivery
option uses (editable in the admin)."""

from django.db import migrations

CARRIERS = [
    # code, name, adapter, tracking link, sort order
    ("own_courier", "Our courier", "own_courier", "", 10),
    ("store", "Pickup in store", "store_pickup", "", 20),
    ("nova_poshta", "Nova Poshta", "nova_poshta", "https://novaposhta.ua/tracking/?cargo_number={number}", 30),
    ("postnord", "PostNord", "postnord", "https://tracking.postnord.com/se/?id={number}", 40),
]

SERVICES = [
    # carrier, code, name, kind, the carrier's code
    ("own_courier", "door", "Courier to the door", "door", "door"),
    ("own_courier", "express", "Express courier", "express", "express"),
    ("store", "counter", "Collect at the counter", "store_pickup", "counter"),
    ("nova_poshta", "warehouse", "Branch or parcel locker", "pickup_point", "WarehouseWarehouse"),
    ("nova_poshta", "doors", "Courier to the door", "door", "WarehouseDoors"),
    ("postnord", "service_point", "MyPack Collect (service point)", "pickup_point", "19"),
    ("postnord", "home", "MyPack Home", "door", "17"),
]

MAPPINGS = [
    # delivery method, country ("" = any), carrier, service
    ("door_delivery", "", "own_courier", "door"),
    ("door_delivery", "SE", "postnord", "home"),
    ("express", "", "own_courier", "express"),
    ("pickup_point", "UA", "nova_poshta", "warehouse"),
    ("pickup_point", "SE", "postnord", "service_point"),
    ("store_pickup", "", "store", "counter"),
]


def seed(apps, schema_editor):
    Carrier = apps.get_model("shipping", "Carrier")
    CarrierService = apps.get_model("shipping", "CarrierService")
    DeliveryMethodService = apps.get_model("shipping", "DeliveryMethodService")
    DeliveryMethod = apps.get_model("orders", "DeliveryMethod")
    carriers = {}
    for code, name, adapter, link, order in CARRIERS:
        carriers[code], _created = Carrier.objects.get_or_create(
            code=code, defaults={"name": name, "adapter": adapter, "tracking_url_template": link, "sort_order": order}
        )
    services = {}
    for carrier, code, name, kind, carrier_code in SERVICES:
        services[(carrier, code)], _created = CarrierService.objects.get_or_create(
            carrier=carriers[carrier], code=code, defaults={"name": name, "kind": kind, "carrier_code": carrier_code}
        )
    for method_code, country, carrier, code in MAPPINGS:
        method = DeliveryMethod.objects.filter(code=method_code).first()
        if method is not None:
            DeliveryMethodService.objects.get_or_create(
                delivery_method=method, country=country, defaults={"service": services[(carrier, code)]}
            )


def unseed(apps, schema_editor):
    apps.get_model("shipping", "DeliveryMethodService").objects.all().delete()
    apps.get_model("shipping", "Carrier").objects.filter(
        code__in=[row[0] for row in CARRIERS], shipments__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0001_carriers_shipments_events_manifests"),
        ("orders", "0004_checkout_pricing_and_promised_date"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
