"""Each search entry carries its person's public id (which never changes): a search then links
to its results' person pages without reading the persons."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE matching_searchentry AS e SET person_public_id = p.public_id "
            "FROM matching_person AS p WHERE p.id = e.person_id"
        )
        return
    person = apps.get_model("matching", "Person")
    search_entry = apps.get_model("matching", "SearchEntry")
    search_entry.objects.update(
        person_public_id=Subquery(
            person.objects.filter(pk=OuterRef("person_id")).values("public_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("matching", "0006_search_entry_candidate")]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="person_public_id",
            field=models.UUIDField(null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="searchentry",
            name="person_public_id",
            field=models.UUIDField(),
        ),
    ]
