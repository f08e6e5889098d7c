"""The access log in the Django admin: read-only and scoped to the admin's partnership."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AccessEvent
from tests.audit.helpers import viewed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_admin(world):
    """A partnership admin who has been given the right to view the access log."""
    user = UserFactory(agency=world["council"], user_types=["partnership_admin"])
    user.user_permissions.add(Permission.objects.get(codename="view_accessevent"))
    return user


def test_the_list_shows_only_the_admins_partnership(signed_in, world, other_world, log_admin):
    # Given events in two partnerships
    viewed(world)
    viewed(other_world)

    # When the admin opens the access log
    page = signed_in(log_admin).get(reverse("admin:audit_accessevent_changelist"))

    # Then only their partnership's user appears
    content = page.content.decode()
    assert page.status_code == 200
    assert world["doctor"].username in content
    assert other_world["doctor"].username not in content


def test_another_partnerships_event_is_not_found(signed_in, other_world, log_admin):
    event = viewed(other_world)

    page = signed_in(log_admin).get(reverse("admin:audit_accessevent_change", args=[event.pk]))

    assert page.status_code == 302  # the admin's "does not exist" redirect to its index


def test_events_cannot_be_changed_or_deleted_in_the_admin(signed_in, world, log_admin):
    event = viewed(world)
    client = signed_in(log_admin)

    delete = client.post(
        reverse("admin:audit_accessevent_delete", args=[event.pk]), {"post": "yes"}
    )
    change = client.post(
        reverse("admin:audit_accessevent_change", args=[event.pk]), {"username": "x"}
    )

    assert (delete.status_code, change.status_code) == (403, 403)
    assert AccessEvent.objects.get(pk=event.pk).username == world["doctor"].username


def test_seals_are_for_superusers_only(signed_in, log_admin):
    page = signed_in(log_admin).get(reverse("admin:audit_auditseal_changelist"))

    assert page.status_code == 403
