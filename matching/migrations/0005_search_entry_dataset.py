"""Each search entry names its record's dataset, last in every index: a search then reads only
the entries of the datasets the user's grants cover."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        # One join (a correlated subquery per entry takes minutes for millions of entries).
        schema_editor.execute(
            "UPDATE matching_searchentry AS e SET dataset_id = r.dataset_id "
            "FROM agencies_sourcerecord AS r WHERE r.id = e.source_record_id"
        )
        return
    source_record = apps.get_model("agencies", "SourceRecord")
    search_entry = apps.get_model("matching", "SearchEntry")
    search_entry.objects.update(
        dataset_id=Subquery(
            source_record.objects.filter(pk=OuterRef("source_record_id")).values("dataset_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0009_source_record_lighter_first_load"),
        ("matching", "0004_search_entries_backfill"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="dataset",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agencies.dataset",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="searchentry",
            name="dataset",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agencies.dataset",
            ),
        ),
        migrations.RemoveIndex(model_name="searchentry", name="search_nhs_idx"),
        migrations.RemoveIndex(model_name="searchentry", name="search_birth_idx"),
        migrations.RemoveIndex(model_name="searchentry", name="search_family_year_idx"),
        migrations.RemoveIndex(model_name="searchentry", name="search_postcode_idx"),
        migrations.RemoveIndex(model_name="searchentry", name="search_family_district_idx"),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(
                condition=models.Q(("nhs_number", ""), _negated=True),
                fields=["partnership", "nhs_number", "dataset"],
                name="search_nhs_dataset_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(
                condition=models.Q(("birth", ""), _negated=True),
                fields=["partnership", "birth", "dataset"],
                name="search_birth_dataset_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(
                fields=["partnership", "family_code", "birth_year", "dataset"],
                name="search_family_year_ds_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(
                condition=models.Q(("postcode", ""), _negated=True),
                fields=["partnership", "postcode", "dataset"],
                name="search_postcode_dataset_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(
                fields=["partnership", "family_code", "district", "dataset"],
                name="search_family_district_ds_idx",
            ),
        ),
    ]
