"""factory_boy factories; users are made through the real `user_create` service."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from agencies.models import Agency, Dataset, OrganisationType, Partnership, User
from agencies.services import user_create
from governance.models import Role
from tests.signin import PASSWORD


class PartnershipFactory(DjangoModelFactory):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Test Partnership {n}")
    slug = factory.Sequence(lambda n: f"test-partnership-{n}")


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency

    partnership = factory.SubFactory(PartnershipFactory)
    organisation_type = factory.LazyFunction(
        lambda: OrganisationType.objects.get(code=OrganisationType.Code.LOCAL_AUTHORITY)
    )
    name = factory.Sequence(lambda n: f"Test Agency {n}")
    code = factory.Sequence(lambda n: f"AG{n:03d}")


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role

    partnership = factory.SubFactory(PartnershipFactory)
    code = factory.Sequence(lambda n: f"role-{n}")
    name = factory.Sequence(lambda n: f"Role {n}")


class DatasetFactory(DjangoModelFactory):
    class Meta:
        model = Dataset

    agency = factory.SubFactory(AgencyFactory)
    code = factory.Sequence(lambda n: f"dataset-{n}")
    name = factory.Sequence(lambda n: f"Dataset {n}")


class UserFactory(factory.Factory):
    class Meta:
        model = User

    agency = factory.SubFactory(AgencyFactory)
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    user_types: Any = factory.LazyFunction(lambda: ["practitioner"])
    password = PASSWORD
    role_id = None

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return user_create(**kwargs)
