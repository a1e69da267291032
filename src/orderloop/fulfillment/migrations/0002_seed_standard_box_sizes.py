"""Seed four standard box sizes (inside measures, mm; weight limit of the contents, g). Shops edit them
in the admin; the packing station suggests the smallest that fits."""

from django.db import migrations

BOX_SIZES = [
    # code, name, length, width, height, max weight (g), sort order
    ("s", "Small box", 250, 180, 100, 5000, 10),
    ("m", "Medium box", 350, 250, 150, 10000, 20),
    ("l", "Large box", 450, 350, 250, 20000, 30),
    ("xl", "Extra large box", 600, 400, 400, 30000, 40),
]


def seed(apps, schema_editor):
    BoxSize = apps.get_model("fulfillment", "BoxSize")
    for code, name, length, width, height, weight, order in BOX_SIZES:
        BoxSize.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "length_mm": length,
                "width_mm": width,
                "height_mm": height,
                "max_weight_g": weight,
                "sort_order": order,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("fulfillment", "BoxSize").objects.filter(
        code__in=[row[0] for row in BOX_SIZES], parcels__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("fulfillment", "0001_waves_pick_lists_parcels_scans")]

    operations = [migrations.RunPython(seed, unseed)]
