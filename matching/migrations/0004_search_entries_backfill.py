"""Give every record already in the matched store its search entry."""

from django.db import migrations


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from matching.search import keys_for

    source_record = apps.get_model("agencies", "SourceRecord")
    search_entry = apps.get_model("matching", "SearchEntry")
    records = source_record.objects.filter(
        retired_at__isnull=True, links__status="active"
    ).values_list(
        "pk",
        "dataset__agency__partnership_id",
        "family_name",
        "date_of_birth",
        "postcode",
        "nhs_number",
    )
    batch = []
    for pk, partnership_id, family_name, date_of_birth, postcode, nhs_number in records.iterator(
        chunk_size=5000
    ):
        keys = keys_for(
            family_name=family_name,
            date_of_birth=date_of_birth,
            postcode=postcode,
            nhs_number=nhs_number,
        )
        batch.append(
            search_entry(
                source_record_id=pk,
                partnership_id=partnership_id,
                nhs_number=keys.nhs_number,
                birth=keys.birth,
                birth_year=keys.birth_year,
                family_code=keys.family_code,
                postcode=keys.postcode,
                district=keys.district,
            )
        )
        if len(batch) >= 5000:
            search_entry.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    search_entry.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("matching", "0003_search_entries")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
