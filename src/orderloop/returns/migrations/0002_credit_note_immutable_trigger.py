"""Credit notes are immutable once issued, like invoices: the database itself refuses UPDATE of a
credit note row. (Deleting stays possible for the test runner's table flush; returns PROTECT their notes.)
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER returns_creditnote_immutable
BEFORE UPDATE ON returns_creditnote
BEGIN
    SELECT RAISE(ABORT, 'credit notes are immutable once issued');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS returns_creditnote_immutable;"

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION returns_creditnote_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'credit notes are immutable once issued' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER returns_creditnote_immutable
BEFORE UPDATE ON returns_creditnote
FOR EACH ROW EXECUTE FUNCTION returns_creditnote_immutable();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS returns_creditnote_immutable ON returns_creditnote;
DROP FUNCTION IF EXISTS returns_creditnote_immutable();
"""


def _run(schema_editor, sqlite: str, postgres: str) -> None:
    sql = {"sqlite": sqlite, "postgresql": postgres}.get(schema_editor.connection.vendor)
    if sql is None:  # other engines: the model-level guard only
        return
    schema_editor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, SQLITE_UP, POSTGRES_UP)


def backwards(apps, schema_editor):
    _run(schema_editor, SQLITE_DOWN, POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_returns_policies_requests_inspections_credit_notes")]

    operations = [migrations.RunPython(forwards, backwards)]
