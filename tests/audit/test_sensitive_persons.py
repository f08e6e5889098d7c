"""IG officers mark a person of their partnership sensitive or VIP; the list is recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AccessEvent, Action, SensitivePerson
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("audit:sensitive-persons")


@pytest.fixture
def ig_officer(world):
    return UserFactory(agency=world["council"], user_types=["ig_officer"])


def test_an_ig_officer_marks_a_person_sensitive(signed_in, world, ig_officer):
    person = world["person"]

    response = signed_in(ig_officer).post(
        URL, {"person": str(person.public_id), "reason": "A member of staff"}, follow=True
    )

    flag = SensitivePerson.objects.get(person=person)
    assert (flag.reason, flag.set_by) == ("A member of staff", ig_officer)
    assert str(person.public_id) in response.content.decode()


def test_a_person_already_marked_is_explained(signed_in, world, ig_officer):
    client = signed_in(ig_officer)
    data = {"person": str(world["person"].public_id), "reason": "A public figure"}
    client.post(URL, data)

    response = client.post(URL, data)

    assert response.status_code == 400
    assert "This person is already marked sensitive." in response.content.decode()


def test_a_reason_is_required(signed_in, world, ig_officer):
    response = signed_in(ig_officer).post(URL, {"person": str(world["person"].public_id)})

    assert response.status_code == 400
    assert "Say why this person is sensitive." in response.content.decode()


def test_opening_the_list_is_recorded(signed_in, world, ig_officer):
    signed_in(ig_officer).get(URL)

    looked = AccessEvent.objects.get(action=Action.REPORT_VIEWED, user_id=ig_officer.pk)
    assert looked.detail["report"] == "sensitive_persons"


def test_a_practitioner_cannot_mark_a_person(signed_in, world):
    response = signed_in(world["doctor"]).post(
        URL, {"person": str(world["person"].public_id), "reason": "Curious"}
    )

    assert response.status_code == 403
    assert not SensitivePerson.objects.exists()


def test_another_partnerships_person_is_not_found(signed_in, other_world, ig_officer):
    response = signed_in(ig_officer).post(
        URL, {"person": str(other_world["person"].public_id), "reason": "A public figure"}
    )

    assert response.status_code == 404
    assert not SensitivePerson.objects.exists()
