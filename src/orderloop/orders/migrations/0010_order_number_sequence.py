"""Order numbers from a PostgreSQL sequence (orders/numbering.py): unique and increasing, without the
counter row every placement locked until its commit. The sequence continues from the counter (or from
ORDER_NUMBER_START on an empty shop). SQLite keeps the counter row: its writers queue on the database
lock anyway."""

from django.conf import settings
from django.db import migrations

SEQUENCE = "orders_order_number_seq"


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    counter = apps.get_model("orders", "OrderCounter").objects.filter(name="orders").first()
    start = int(settings.ORDERLOOP.get("ORDER_NUMBER_START", 1001))
    if counter is not None:
        start = max(start, counter.last_number + 1)
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {int(start)}")


def drop_sequence(apps, schema_editor):
    """Back to the counter row: it continues after the last number the sequence gave."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")
        last_value, is_called = cursor.fetchone()
    last = last_value if is_called else last_value - 1
    apps.get_model("orders", "OrderCounter").objects.update_or_create(
        name="orders", defaults={"last_number": last}
    )
    schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_history_of_method_names"),
    ]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
