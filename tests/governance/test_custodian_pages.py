"""Partnership admins assign and remove dataset custodians (guardian object permissions)."""

import pytest
from django.urls import reverse

from agencies.models import Sensitivity, User
from governance.services import is_custodian
from tests.factories import AgencyFactory, UserFactory, dataset_with_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(agency):
    return UserFactory(agency=agency, user_types=["partnership_admin"])


@pytest.fixture
def dataset(agency):
    return dataset_with_fields(agency=agency, fields={"a": Sensitivity.NONE}, name="Adult care")


def test_admin_makes_a_custodian_and_removes_them(signed_in, admin_user, dataset, agency):
    person = UserFactory(agency=agency, user_types=["custodian"], first_name="Cara")
    client = signed_in(admin_user)
    url = reverse("governance:custodian-change", args=[dataset.pk])

    page = client.get(reverse("governance:custodian-list")).content.decode()
    client.post(url, {"user": person.pk})
    made = is_custodian(user=User.objects.get(pk=person.pk), dataset=dataset)
    client.post(url, {"user": person.pk, "action": "remove"})

    assert "No custodian" in page
    assert made
    assert not is_custodian(user=User.objects.get(pk=person.pk), dataset=dataset)


def test_staff_of_another_agency_cannot_be_made_custodian(signed_in, admin_user, dataset):
    outsider = UserFactory(
        agency=AgencyFactory(partnership=dataset.agency.partnership), user_types=["custodian"]
    )
    client = signed_in(admin_user)

    response = client.post(
        reverse("governance:custodian-change", args=[dataset.pk]),
        {"user": outsider.pk},
        follow=True,
    )

    assert "only the owning agency&#x27;s staff can be custodians" in response.content.decode()
    assert not outsider.has_perm("agencies.act_as_custodian", dataset)


def test_only_partnership_admins_assign_custodians(signed_in, agency):
    custodian = UserFactory(agency=agency, user_types=["custodian"])
    client = signed_in(custodian)

    assert client.get(reverse("governance:custodian-list")).status_code == 403


def test_another_partnerships_dataset_is_404(signed_in, admin_user, other_partnership):
    theirs = dataset_with_fields(
        agency=AgencyFactory(partnership=other_partnership), fields={"a": Sensitivity.NONE}
    )
    client = signed_in(admin_user)

    response = client.post(
        reverse("governance:custodian-change", args=[theirs.pk]), {"user": admin_user.pk}
    )

    assert response.status_code == 404
