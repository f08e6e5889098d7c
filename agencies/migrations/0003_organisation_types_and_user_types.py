"""The nine national organisation types and one group per user type."""

from django.db import migrations

ORGANISATION_TYPES = [
    ("gp_practice", "GP practice"),
    ("acute_trust", "Acute hospital trust"),
    ("mental_health_trust", "Mental health trust"),
    ("ambulance_trust", "Ambulance trust"),
    ("police_force", "Police force"),
    ("fire_rescue", "Fire and rescue service"),
    ("local_authority", "Local authority"),
    ("icb", "Integrated care board"),
    ("voluntary_sector", "Voluntary sector organisation"),
]
USER_TYPE_GROUPS = ["Practitioner", "Custodian", "IG officer", "Partner IT", "Partnership admin"]


def create(apps, schema_editor):
    OrganisationType = apps.get_model("agencies", "OrganisationType")
    Group = apps.get_model("auth", "Group")
    for code, name in ORGANISATION_TYPES:
        OrganisationType.objects.update_or_create(code=code, defaults={"name": name})
    for name in USER_TYPE_GROUPS:
        Group.objects.get_or_create(name=name)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=USER_TYPE_GROUPS).delete()
    apps.get_model("agencies", "OrganisationType").objects.filter(
        code__in=[code for code, _ in ORGANISATION_TYPES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
