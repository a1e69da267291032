"""Invoices are immutable once issued: the database itself refuses UPDATE of an invoice row.

(Deleting stays possible for the test runner's table flush; orders PROTECT their invoices.)
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER payments_invoice_immutable
BEFORE UPDATE ON payments_invoice
BEGIN
    SELECT RAISE(ABORT, 'invoices are immutable once issued');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS payments_invoice_immutable;"

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION payments_invoice_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'invoices are immutable once issued' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payments_invoice_immutable
BEFORE UPDATE ON payments_invoice
FOR EACH ROW EXECUTE FUNCTION payments_invoice_immutable();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS payments_invoice_immutable ON payments_invoice;
DROP FUNCTION IF EXISTS payments_invoice_immutable();
"""


def _run(schema_editor, sqlite: str, postgres: str) -> None:
    vendor = schema_editor.connection.vendor
    sql = {"sqlite": sqlite, "postgresql": postgres}.get(vendor)
    if sql is None:  # other engines: the model-level guard only
        return
    schema_editor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, SQLITE_UP, POSTGRES_UP)


def backwards(apps, schema_editor):
    _run(schema_editor, SQLITE_DOWN, POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_payments_refunds_state_invoices_webhooks")]

    operations = [migrations.RunPython(forwards, backwards)]
