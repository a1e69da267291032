"""Invoices show a coupon's discount. SQLite rebuilds the table to add the column, which drops the
immutability trigger of 0002: it is created again here."""

from decimal import Decimal
from importlib import import_module

from django.db import migrations, models

TRIGGER = import_module("orderloop.payments.migrations.0002_invoice_immutable_trigger")


def recreate_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(TRIGGER.SQLITE_DOWN)
        schema_editor.execute(TRIGGER.SQLITE_UP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_invoice_immutable_trigger")]

    operations = [
        # Reversed last: removing the column rebuilds the table again.
        migrations.RunPython(migrations.RunPython.noop, recreate_sqlite_trigger),
        migrations.AddField(
            model_name="invoice",
            name="discount_amount",
            field=models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=12, verbose_name="discount"),
        ),
        migrations.RunPython(recreate_sqlite_trigger, migrations.RunPython.noop),
    ]
