"""Carriers and their services get names per language (as the catalog's products have), and the seeded
ones get theirs in Ukrainian, Russian, Swedish and Arabic. Rows edited since are left alone."""

from django.db import migrations, models

CARRIER_NAMES = {
    "own_courier": {"uk": "Наш кур’єр", "ru": "Наш курьер", "sv": "Vårt bud", "ar": "مندوب التوصيل لدينا"},
    "store": {
        "uk": "Самовивіз із магазину",
        "ru": "Самовывоз из магазина",
        "sv": "Hämtning i butik",
        "ar": "الاستلام من المتجر",
    },
    "nova_poshta": {"uk": "Нова пошта", "ru": "Новая почта", "sv": "Nova Poshta", "ar": "نوفا بوشتا"},
    "postnord": {"uk": "PostNord", "ru": "PostNord", "sv": "PostNord", "ar": "PostNord"},
}

SERVICE_NAMES = {
    ("own_courier", "door"): {
        "uk": "Кур’єр до дверей",
        "ru": "Курьером до двери",
        "sv": "Bud till dörren",
        "ar": "توصيل بالمندوب إلى الباب",
    },
    ("own_courier", "express"): {
        "uk": "Експрес-доставка кур’єром",
        "ru": "Экспресс-доставка курьером",
        "sv": "Expressbud",
        "ar": "توصيل سريع بالمندوب",
    },
    ("store", "counter"): {
        "uk": "Отримання на касі магазину",
        "ru": "Получение на кассе магазина",
        "sv": "Hämta i butikens kassa",
        "ar": "الاستلام من كاونتر المتجر",
    },
    ("nova_poshta", "warehouse"): {
        "uk": "Відділення або поштомат",
        "ru": "Отделение или почтомат",
        "sv": "Kontor eller paketskåp",
        "ar": "فرع أو خزانة طرود",
    },
    ("nova_poshta", "doors"): {
        "uk": "Адресна доставка кур’єром",
        "ru": "Адресная доставка курьером",
        "sv": "Bud till dörren",
        "ar": "توصيل بالمندوب إلى الباب",
    },
    ("postnord", "service_point"): {
        "uk": "MyPack Collect (пункт видачі)",
        "ru": "MyPack Collect (пункт выдачи)",
        "sv": "MyPack Collect (ombud)",
        "ar": "MyPack Collect (نقطة خدمة)",
    },
    ("postnord", "home"): {
        "uk": "MyPack Home (до дверей)",
        "ru": "MyPack Home (до двери)",
        "sv": "MyPack Home (hemleverans)",
        "ar": "MyPack Home (إلى الباب)",
    },
}


def translate_seeded(apps, schema_editor):
    Carrier = apps.get_model("shipping", "Carrier")
    CarrierService = apps.get_model("shipping", "CarrierService")
    for carrier in Carrier.objects.filter(code__in=list(CARRIER_NAMES)):
        if not carrier.name_translations:
            carrier.name_translations = CARRIER_NAMES[carrier.code]
            carrier.save(update_fields=["name_translations"])
    for service in CarrierService.objects.select_related("carrier"):
        names = SERVICE_NAMES.get((service.carrier.code, service.code))
        if names and not service.name_translations:
            service.name_translations = names
            service.save(update_fields=["name_translations"])


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0002_seed_carriers_services_and_delivery_mapping"),
    ]

    operations = [
        migrations.AddField(
            model_name="carrier",
            name="name_translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="translated names"),
        ),
        migrations.AddField(
            model_name="carrierservice",
            name="name_translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="translated names"),
        ),
        # Going back drops the column, so the reverse step has nothing to undo.
        migrations.RunPython(translate_seeded, migrations.RunPython.noop),
    ]
