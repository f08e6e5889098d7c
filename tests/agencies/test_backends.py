"""The staff authentication backend: the session's user comes with agency, role and user types
at once."""

import pytest

from agencies.backends import StaffBackend
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_signed_in_user_arrives_with_agency_partnership_and_role(
    django_assert_num_queries,
):
    user = UserFactory(user_types=["practitioner", "ig_officer"])
    user.role = RoleFactory(partnership=user.agency.partnership)
    user.save()

    with django_assert_num_queries(1):
        loaded = StaffBackend().get_user(user.pk)
        assert loaded is not None
        assert loaded.agency.partnership == user.agency.partnership
        assert loaded.agency.organisation_type.code == user.agency.organisation_type.code
        assert loaded.role == user.role
        assert loaded.user_types == {"practitioner", "ig_officer"}


def test_a_user_without_role_or_groups_arrives_with_neither(django_assert_num_queries):
    user = UserFactory(user_types=[])

    with django_assert_num_queries(1):
        loaded = StaffBackend().get_user(user.pk)
        assert loaded is not None
        assert loaded.role is None
        assert loaded.user_types == frozenset()


def test_an_inactive_or_unknown_user_is_nobody():
    user = UserFactory()
    user.is_active = False
    user.save()

    assert StaffBackend().get_user(user.pk) is None
    assert StaffBackend().get_user(987654) is None
