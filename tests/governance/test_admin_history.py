"""Partnership admins see the change history (django-auditlog) of configuration in the admin."""

import pytest
from django.urls import reverse

from tests.factories import AgencyFactory, PurposeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_partnership_admin_sees_a_purposes_change_history(signed_in, partnership):
    admin_user = UserFactory(
        agency=AgencyFactory(partnership=partnership), user_types=["partnership_admin"]
    )
    purpose = PurposeFactory(partnership=partnership, name="Direct care")
    purpose.name = "Direct care and treatment"
    purpose.save()
    client = signed_in(admin_user)

    history = client.get(reverse("admin:governance_purpose_auditlog", args=[purpose.pk]))

    assert history.status_code == 200
    assert "Direct care and treatment" in history.content.decode()


def test_history_of_another_partnerships_object_is_404(signed_in, partnership, other_partnership):
    admin_user = UserFactory(
        agency=AgencyFactory(partnership=partnership), user_types=["partnership_admin"]
    )
    theirs = PurposeFactory(partnership=other_partnership)
    client = signed_in(admin_user)

    response = client.get(reverse("admin:governance_purpose_auditlog", args=[theirs.pk]))

    assert response.status_code == 404
