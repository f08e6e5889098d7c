"""Alert reviews are append-only in the database, like the access log (migration 0002): UPDATE,
DELETE and (PostgreSQL) TRUNCATE on `audit_alertreview` are refused, whoever asks. PostgreSQL
reuses 0002's `audit_append_only()` function."""

from django.db import migrations

TABLE = "audit_alertreview"

POSTGRES_UP = f"""
CREATE TRIGGER {TABLE}_append_only
  BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER {TABLE}_no_truncate
  BEFORE TRUNCATE ON {TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""

POSTGRES_DOWN = f"""
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};
"""

SQLITE_UP = [
    f"""CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE}
       BEGIN SELECT RAISE(ABORT,
         'The audit log is append-only: {operation} on {TABLE} is not allowed.'); END"""
    for operation in ("UPDATE", "DELETE")
]

SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_{operation.lower()}" for operation in ("UPDATE", "DELETE")
]


def _run(schema_editor, postgres, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, params=None)
    else:
        raise RuntimeError(f"No append-only triggers for the {vendor} database.")


def up(apps, schema_editor):
    _run(schema_editor, POSTGRES_UP, SQLITE_UP)


def down(apps, schema_editor):
    _run(schema_editor, POSTGRES_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_alerts")]

    operations = [migrations.RunPython(up, down)]
