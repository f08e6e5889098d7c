"""Database-enforced rules: sign-offs never change; a submitted grant version's terms never change
and it is never deleted. They hold even against code that bypasses the services."""

from django.db import migrations

TERMS = [
    "grant_id",
    "version",
    "disclosure_level",
    "field_names",
    "article6_condition",
    "article9_condition",
    "statute",
    "necessity_statement",
    "conditions",
    "requires_legitimate_relationship",
    "valid_from",
    "valid_until",
    "review_date",
    "drafted_by_id",
]

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION governance_signoff_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'Sign-offs are immutable: % on governance_signoff is not allowed.', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_signoff_immutable
  BEFORE UPDATE OR DELETE ON governance_signoff
  FOR EACH ROW EXECUTE FUNCTION governance_signoff_immutable();
CREATE TRIGGER governance_signoff_no_truncate
  BEFORE TRUNCATE ON governance_signoff
  FOR EACH STATEMENT EXECUTE FUNCTION governance_signoff_immutable();

CREATE OR REPLACE FUNCTION governance_grantversion_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'A submitted grant version cannot be deleted.';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND
     ({", ".join(f"NEW.{c}" for c in TERMS)}) IS DISTINCT FROM
     ({", ".join(f"OLD.{c}" for c in TERMS)}) THEN
    RAISE EXCEPTION 'The terms of a submitted grant version cannot change: draft a new version.';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_grantversion_frozen
  BEFORE UPDATE OR DELETE ON governance_grantversion
  FOR EACH ROW EXECUTE FUNCTION governance_grantversion_frozen();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS governance_grantversion_frozen ON governance_grantversion;
DROP FUNCTION IF EXISTS governance_grantversion_frozen();
DROP TRIGGER IF EXISTS governance_signoff_no_truncate ON governance_signoff;
DROP TRIGGER IF EXISTS governance_signoff_immutable ON governance_signoff;
DROP FUNCTION IF EXISTS governance_signoff_immutable();
"""

SQLITE_UP = [
    """CREATE TRIGGER governance_signoff_no_update BEFORE UPDATE ON governance_signoff
       BEGIN SELECT RAISE(ABORT, 'Sign-offs are immutable: UPDATE is not allowed.'); END""",
    """CREATE TRIGGER governance_signoff_no_delete BEFORE DELETE ON governance_signoff
       BEGIN SELECT RAISE(ABORT, 'Sign-offs are immutable: DELETE is not allowed.'); END""",
    f"""CREATE TRIGGER governance_grantversion_frozen BEFORE UPDATE ON governance_grantversion
       WHEN OLD.status <> 'draft' AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in TERMS)})
       BEGIN SELECT RAISE(ABORT,
         'The terms of a submitted grant version cannot change: draft a new version.'); END""",
    """CREATE TRIGGER governance_grantversion_no_delete BEFORE DELETE ON governance_grantversion
       WHEN OLD.status <> 'draft'
       BEGIN SELECT RAISE(ABORT, 'A submitted grant version cannot be deleted.'); END""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS governance_signoff_no_update",
    "DROP TRIGGER IF EXISTS governance_signoff_no_delete",
    "DROP TRIGGER IF EXISTS governance_grantversion_frozen",
    "DROP TRIGGER IF EXISTS governance_grantversion_no_delete",
]


def _run(schema_editor, postgres, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, params=None)
    else:
        raise RuntimeError(f"No immutability triggers for the {vendor} database.")


def up(apps, schema_editor):
    _run(schema_editor, POSTGRES_UP, SQLITE_UP)


def down(apps, schema_editor):
    _run(schema_editor, POSTGRES_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_purposes_grants_sign_offs_restrictions")]

    operations = [migrations.RunPython(up, down)]
