"""Each search entry carries what a search reads of its candidate: the person of the record's
active link and the record's demographic columns as the record holds them. A search then reads
its candidates from the entries alone, instead of one record and one link per candidate."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

COPIED = ("source_key", "given_name", "family_name", "date_of_birth")
AS_HELD = {"postcode_as_held": "postcode", "nhs_number_as_held": "nhs_number"}


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        # An entry is kept only for a current record with an active link (as
        # `matching.services.search_entries_refresh` keeps them); one join fills the rest
        # (a correlated subquery per entry takes minutes for millions of entries).
        schema_editor.execute(
            "DELETE FROM matching_searchentry AS e WHERE NOT EXISTS ("
            "SELECT 1 FROM matching_link AS l "
            "JOIN agencies_sourcerecord AS r ON r.id = l.source_record_id "
            "WHERE l.source_record_id = e.source_record_id AND l.status = 'active' "
            "AND r.retired_at IS NULL)"
        )
        schema_editor.execute(
            "UPDATE matching_searchentry AS e SET person_id = l.person_id, "
            "source_key = r.source_key, given_name = r.given_name, "
            "family_name = r.family_name, date_of_birth = r.date_of_birth, "
            "postcode_as_held = r.postcode, nhs_number_as_held = r.nhs_number "
            "FROM agencies_sourcerecord AS r, matching_link AS l "
            "WHERE r.id = e.source_record_id AND l.source_record_id = r.id "
            "AND l.status = 'active'"
        )
        return
    source_record = apps.get_model("agencies", "SourceRecord")
    link = apps.get_model("matching", "Link")
    search_entry = apps.get_model("matching", "SearchEntry")
    active = link.objects.filter(
        source_record_id=OuterRef("source_record_id"),
        status="active",
        source_record__retired_at__isnull=True,
    )
    search_entry.objects.exclude(source_record_id__in=active.values("source_record_id")).delete()
    record = source_record.objects.filter(pk=OuterRef("source_record_id"))
    search_entry.objects.update(
        person_id=Subquery(active.values("person_id")[:1]),
        **{name: Subquery(record.values(name)[:1]) for name in COPIED},
        **{name: Subquery(record.values(column)[:1]) for name, column in AS_HELD.items()},
    )


def _text(name: str, max_length: int, **options):  # type: ignore[no-untyped-def]
    return migrations.AddField(
        model_name="searchentry",
        name=name,
        field=models.CharField(max_length=max_length, **options),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0009_source_record_lighter_first_load"),
        ("matching", "0005_search_entry_dataset"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="person",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="matching.person",
            ),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="source_key",
            field=models.CharField(default="", max_length=100),
            preserve_default=False,
        ),
        _text("given_name", 200, blank=True),
        _text("family_name", 200, blank=True),
        _text("date_of_birth", 10, blank=True),
        _text("postcode_as_held", 10, blank=True),
        _text("nhs_number_as_held", 10, blank=True),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="searchentry",
            name="person",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="matching.person",
            ),
        ),
    ]
