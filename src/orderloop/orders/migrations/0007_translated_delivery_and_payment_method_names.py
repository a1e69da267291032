"""Delivery and payment methods get names per language (as the catalog's products have), and the
seeded methods get theirs in Ukrainian, Russian, Swedish and Arabic. Rows edited since are left alone."""

from django.db import migrations, models

DELIVERY_NAMES = {
    "door_delivery": {
        "uk": "Кур’єр до дверей",
        "ru": "Курьером до двери",
        "sv": "Bud till dörren",
        "ar": "توصيل بالمندوب إلى الباب",
    },
    "pickup_point": {
        "uk": "Пункт видачі",
        "ru": "Пункт выдачи",
        "sv": "Utlämningsställe",
        "ar": "نقطة الاستلام",
    },
    "express": {
        "uk": "Експрес-доставка кур’єром",
        "ru": "Экспресс-доставка курьером",
        "sv": "Expressbud",
        "ar": "توصيل سريع بالمندوب",
    },
    "store_pickup": {
        "uk": "Самовивіз із магазину",
        "ru": "Самовывоз из магазина",
        "sv": "Hämtning i butik",
        "ar": "الاستلام من المتجر",
    },
}

PAYMENT_NAMES = {
    "card": {"uk": "Оплата карткою", "ru": "Оплата картой", "sv": "Kortbetalning", "ar": "الدفع بالبطاقة"},
    "cod": {
        "uk": "Накладений платіж",
        "ru": "Наложенный платёж",
        "sv": "Postförskott",
        "ar": "الدفع عند الاستلام",
    },
    "bank_transfer": {
        "uk": "Банківський переказ",
        "ru": "Банковский перевод",
        "sv": "Banköverföring",
        "ar": "تحويل بنكي",
    },
    "prepayment": {"uk": "Передоплата", "ru": "Предоплата", "sv": "Förskottsbetalning", "ar": "دفعة مقدمة"},
}


def translate_seeded(apps, schema_editor):
    for model_name, names in (("DeliveryMethod", DELIVERY_NAMES), ("PaymentMethod", PAYMENT_NAMES)):
        model = apps.get_model("orders", model_name)
        for method in model.objects.filter(code__in=list(names)):
            if not method.name_translations:
                method.name_translations = names[method.code]
                method.save(update_fields=["name_translations"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_order_status_partially_returned"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliverymethod",
            name="name_translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="translated names"),
        ),
        migrations.AddField(
            model_name="paymentmethod",
            name="name_translations",
            field=models.JSONField(blank=True, default=dict, verbose_name="translated names"),
        ),
        # Going back drops the column, so the reverse step has nothing to undo.
        migrations.RunPython(translate_seeded, migrations.RunPython.noop),
    ]
