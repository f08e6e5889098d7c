"""The access log is append-only in the database: UPDATE, DELETE and (PostgreSQL) TRUNCATE are
refused on the events, seals and checkpoints, whoever asks. PostgreSQL also gets
`audit_ensure_partitions()`, which makes the coming monthly partitions of the events table; it
runs with its owner's rights (SECURITY DEFINER) so that the application's role, which owns
nothing, can call it (`manage.py audit_db_roles` grants EXECUTE)."""

from django.db import migrations

TABLES = ("audit_accessevent", "audit_seal", "audit_checkpoint")

POSTGRES_UP = (
    """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'The audit log is append-only: % on % is not allowed.', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""  # noqa: S608 - builds DDL from this module's constant table names
    + "".join(
        f"""
CREATE TRIGGER {table}_append_only
  BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER {table}_no_truncate
  BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""
        for table in TABLES
    )
    + """
-- Statement triggers are not inherited by partitions: each partition gets its own.
CREATE TRIGGER audit_accessevent_no_truncate
  BEFORE TRUNCATE ON audit_accessevent_default
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE OR REPLACE FUNCTION audit_ensure_partitions(months_ahead integer DEFAULT 3,
                                                   from_month date DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public SET TimeZone = 'UTC'
AS $$
DECLARE
  month_start date := date_trunc('month', coalesce(from_month, now()::date))::date;
  month_end date;
  lower_bound timestamptz;
  upper_bound timestamptz;
  partition_name text;
  created integer := 0;
BEGIN
  IF months_ahead < 0 OR months_ahead > 120 THEN
    RAISE EXCEPTION 'months_ahead must be between 0 and 120, not %.', months_ahead;
  END IF;
  FOR i IN 0..months_ahead LOOP
    month_end := (month_start + interval '1 month')::date;
    lower_bound := month_start::timestamp AT TIME ZONE 'UTC';
    upper_bound := month_end::timestamp AT TIME ZONE 'UTC';
    partition_name := 'audit_accessevent_' || to_char(month_start, 'YYYY_MM');
    IF to_regclass('public.' || partition_name) IS NULL THEN
      IF EXISTS (SELECT 1 FROM public.audit_accessevent_default
                 WHERE occurred_at >= lower_bound AND occurred_at < upper_bound) THEN
        RAISE WARNING 'Events for % are in audit_accessevent_default: % not made.',
          to_char(month_start, 'YYYY-MM'), partition_name;
      ELSE
        EXECUTE format(
          'CREATE TABLE public.%I PARTITION OF public.audit_accessevent FOR VALUES FROM (%L) TO (%L)',
          partition_name, lower_bound, upper_bound);
        EXECUTE format(
          'CREATE TRIGGER audit_accessevent_no_truncate BEFORE TRUNCATE ON public.%I '
          'FOR EACH STATEMENT EXECUTE FUNCTION public.audit_append_only()', partition_name);
        created := created + 1;
      END IF;
    END IF;
    month_start := month_end;
  END LOOP;
  RETURN created;
END;
$$;
REVOKE ALL ON FUNCTION audit_ensure_partitions(integer, date) FROM PUBLIC;
SELECT audit_ensure_partitions(13, (now() - interval '1 month')::date);
"""
)

POSTGRES_DOWN = (
    """
DROP FUNCTION IF EXISTS audit_ensure_partitions(integer, date);
DROP TRIGGER IF EXISTS audit_accessevent_no_truncate ON audit_accessevent_default;
"""
    + "".join(
        f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
"""
        for table in TABLES
    )
    + """
DROP FUNCTION IF EXISTS audit_append_only() CASCADE;
"""
)

SQLITE_UP = [
    f"""CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}
       BEGIN SELECT RAISE(ABORT,
         'The audit log is append-only: {operation} on {table} is not allowed.'); END"""
    for table in TABLES
    for operation in ("UPDATE", "DELETE")
]

SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_no_{operation.lower()}"
    for table in TABLES
    for operation in ("UPDATE", "DELETE")
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
    dependencies = [("audit", "0001_access_log")]

    operations = [migrations.RunPython(up, down)]
