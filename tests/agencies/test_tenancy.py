"""Partnerships are isolated: another partnership's objects are a 404, never a 403 or a leak."""

import pytest
from django.urls import reverse

from agencies import selectors
from tests.factories import AgencyFactory, DatasetFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_agency_list_shows_only_own_partnership(signed_in, practitioner, other_partnership):
    # Given an agency in another partnership
    foreign = AgencyFactory(partnership=other_partnership, name="Foreign Borough Council")
    client = signed_in(practitioner)

    # When the practitioner lists partner agencies
    response = client.get(reverse("agency-list"))

    # Then they see their own agency and not the other partnership's
    assert response.status_code == 200
    assert practitioner.agency.name in response.content.decode()
    assert foreign.name not in response.content.decode()


def test_other_partnership_agency_is_404(signed_in, practitioner, other_partnership):
    foreign = AgencyFactory(partnership=other_partnership)
    client = signed_in(practitioner)

    response = client.get(reverse("agency-detail", args=[foreign.pk]))

    assert response.status_code == 404
    assert foreign.name not in response.content.decode()


def test_own_partnership_agency_detail_shows_datasets(signed_in, practitioner):
    dataset = DatasetFactory(agency=practitioner.agency, name="Adult social care records")
    client = signed_in(practitioner)

    response = client.get(reverse("agency-detail", args=[practitioner.agency.pk]))

    assert response.status_code == 200
    assert dataset.name in response.content.decode()


def test_directory_needs_sign_in(client, agency):
    response = client.get(reverse("agency-detail", args=[agency.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))


def test_selectors_scope_to_partnership(practitioner, other_partnership):
    foreign_agency = AgencyFactory(partnership=other_partnership)
    foreign_user = UserFactory(agency=foreign_agency)
    DatasetFactory(agency=foreign_agency)

    assert foreign_agency not in selectors.agency_list(user=practitioner)
    assert foreign_user not in selectors.staff_list(user=practitioner)
    assert not selectors.dataset_list(user=practitioner).filter(agency=foreign_agency).exists()


def test_partnership_admin_sees_only_own_partnership_in_admin(
    signed_in, partnership, other_partnership
):
    # Given a partnership admin and an agency in another partnership
    admin_user = UserFactory(
        agency=AgencyFactory(partnership=partnership), user_types=["partnership_admin"]
    )
    foreign = AgencyFactory(partnership=other_partnership, name="Elsewhere Fire Service")
    client = signed_in(admin_user)

    # When they open the agencies list and the foreign agency's change page
    listing = client.get(reverse("admin:agencies_agency_changelist"))
    change = client.get(reverse("admin:agencies_agency_change", args=[foreign.pk]))

    # Then the foreign agency is not listed and its page does not open
    assert listing.status_code == 200
    assert foreign.name not in listing.content.decode()
    assert change.status_code == 302
    assert foreign.name not in client.get(change["Location"]).content.decode()
