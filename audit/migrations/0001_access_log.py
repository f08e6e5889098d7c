"""The access log's tables. On PostgreSQL the events table is partitioned by month on
`occurred_at`, so its primary key is (id, occurred_at) and Django's CreateModel cannot make it:
Django's state gets the model as declared (`id` the primary key) and the table is made here by SQL.
Event ids come from a plain sequence (identity columns cannot be used on partitioned tables in
PostgreSQL 15). The person index (GIN on person_ids) exists on PostgreSQL only, outside Django's
state. Partitions themselves are made by `audit_ensure_partitions()` (migration 0002)."""

from django.db import migrations, models

POSTGRES_UP = """
CREATE SEQUENCE audit_accessevent_id_seq AS bigint;
CREATE TABLE audit_accessevent (
    id bigint NOT NULL DEFAULT nextval('audit_accessevent_id_seq'),
    occurred_at timestamp with time zone NOT NULL,
    action varchar(20) NOT NULL,
    outcome varchar(10) NOT NULL,
    partnership_id bigint NOT NULL,
    user_id bigint NULL,
    username varchar(150) NOT NULL,
    user_full_name varchar(300) NOT NULL,
    agency_id bigint NULL,
    agency_code varchar(20) NOT NULL,
    agency_name varchar(200) NOT NULL,
    organisation_type varchar(40) NOT NULL,
    role_code varchar(60) NOT NULL,
    role_name varchar(200) NOT NULL,
    purpose_id bigint NULL,
    purpose_code varchar(60) NOT NULL,
    purpose_name varchar(200) NOT NULL,
    purpose_of_use varchar(20) NOT NULL,
    justification text NOT NULL,
    case_reference varchar(100) NOT NULL,
    person_ids jsonb NOT NULL,
    disclosures jsonb NOT NULL,
    search_terms jsonb NOT NULL,
    result_count integer NULL,
    detail jsonb NOT NULL,
    request_id varchar(64) NOT NULL,
    client_address inet NULL,
    user_agent varchar(500) NOT NULL,
    CONSTRAINT audit_accessevent_pkey PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE audit_accessevent_id_seq OWNED BY audit_accessevent.id;
-- Catches any event outside the monthly partitions, so that a missed partition never stops reads.
CREATE TABLE audit_accessevent_default PARTITION OF audit_accessevent DEFAULT;
CREATE INDEX accessevent_time_idx ON audit_accessevent (partnership_id, occurred_at);
CREATE INDEX accessevent_user_idx ON audit_accessevent (partnership_id, user_id, occurred_at);
CREATE INDEX accessevent_agency_idx ON audit_accessevent (partnership_id, agency_id, occurred_at);
CREATE INDEX accessevent_person_idx ON audit_accessevent USING gin (person_ids jsonb_path_ops);
"""

POSTGRES_DOWN = "DROP TABLE IF EXISTS audit_accessevent CASCADE;"


def create_events_table(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.create_model(apps.get_model("audit", "AccessEvent"))
    else:
        raise RuntimeError(f"No access log table for the {vendor} database.")


def drop_events_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    else:
        schema_editor.delete_model(apps.get_model("audit", "AccessEvent"))


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AccessEvent",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("occurred_at", models.DateTimeField()),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("search", "Searched"),
                                    ("results_shown", "Search results shown"),
                                    ("person_viewed", "Person viewed"),
                                    ("card_shown", "Dataset card shown"),
                                    ("cohort_shown", "Cohort list shown"),
                                    ("export", "Exported"),
                                    ("denied", "Access denied"),
                                    ("break_glass", "Break-glass access"),
                                    ("review_decision", "Review decision"),
                                    ("report_viewed", "Audit report viewed"),
                                    ("error", "Error"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("allowed", "Allowed"),
                                    ("denied", "Denied"),
                                    ("error", "Error"),
                                ],
                                default="allowed",
                                max_length=10,
                            ),
                        ),
                        ("partnership_id", models.BigIntegerField()),
                        ("user_id", models.BigIntegerField(blank=True, null=True)),
                        ("username", models.CharField(blank=True, max_length=150)),
                        ("user_full_name", models.CharField(blank=True, max_length=300)),
                        ("agency_id", models.BigIntegerField(blank=True, null=True)),
                        ("agency_code", models.CharField(blank=True, max_length=20)),
                        ("agency_name", models.CharField(blank=True, max_length=200)),
                        ("organisation_type", models.CharField(blank=True, max_length=40)),
                        ("role_code", models.CharField(blank=True, max_length=60)),
                        ("role_name", models.CharField(blank=True, max_length=200)),
                        ("purpose_id", models.BigIntegerField(blank=True, null=True)),
                        ("purpose_code", models.CharField(blank=True, max_length=60)),
                        ("purpose_name", models.CharField(blank=True, max_length=200)),
                        (
                            "purpose_of_use",
                            models.CharField(
                                blank=True,
                                help_text="HL7 v3 PurposeOfUse code.",
                                max_length=20,
                                verbose_name="HL7 PurposeOfUse",
                            ),
                        ),
                        ("justification", models.TextField(blank=True)),
                        ("case_reference", models.CharField(blank=True, max_length=100)),
                        ("person_ids", models.JSONField(blank=True, default=list)),
                        ("disclosures", models.JSONField(blank=True, default=list)),
                        ("search_terms", models.JSONField(blank=True, default=dict)),
                        ("result_count", models.IntegerField(blank=True, null=True)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        ("request_id", models.CharField(blank=True, max_length=64)),
                        ("client_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=500)),
                    ],
                    options={
                        "ordering": ["-occurred_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["partnership_id", "occurred_at"],
                                name="accessevent_time_idx",
                            ),
                            models.Index(
                                fields=["partnership_id", "user_id", "occurred_at"],
                                name="accessevent_user_idx",
                            ),
                            models.Index(
                                fields=["partnership_id", "agency_id", "occurred_at"],
                                name="accessevent_agency_idx",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(create_events_table, drop_events_table),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seal_number", models.PositiveBigIntegerField()),
                ("chain_hash", models.CharField(max_length=64)),
                ("upto_event_id", models.BigIntegerField()),
                ("event_total", models.PositiveBigIntegerField()),
                ("created_at", models.DateTimeField()),
                (
                    "key_id",
                    models.CharField(blank=True, help_text="Blank when unsigned.", max_length=16),
                ),
                ("signature", models.CharField(blank=True, max_length=64)),
            ],
            options={
                "db_table": "audit_checkpoint",
                "ordering": ["-seal_number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("seal_number",), name="audit_checkpoint_seal_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveBigIntegerField(unique=True)),
                ("after_event_id", models.BigIntegerField()),
                ("upto_event_id", models.BigIntegerField()),
                ("event_count", models.PositiveIntegerField()),
                ("event_ids", models.BinaryField()),
                ("event_digests", models.BinaryField()),
                ("previous_hash", models.CharField(max_length=64)),
                ("chain_hash", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField()),
            ],
            options={
                "db_table": "audit_seal",
                "ordering": ["number"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("number__gte", 1)), name="audit_seal_number_gte_1"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("upto_event_id__gte", models.F("after_event_id"))),
                        name="audit_seal_range_ordered",
                    ),
                ],
            },
        ),
    ]
