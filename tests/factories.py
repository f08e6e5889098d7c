"""factory_boy factories; users are made through the real `user_create` service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from agencies.models import (
    Agency,
    Dataset,
    DatasetField,
    FieldType,
    OrganisationType,
    Partnership,
    Sensitivity,
    User,
)
from agencies.services import user_create
from governance.models import Article6, Article9, DisclosureLevel, GrantVersion, Purpose, Role
from governance.services import custodian_assign, grant_approve, grant_draft, grant_submit
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


class DatasetFieldFactory(DjangoModelFactory):
    class Meta:
        model = DatasetField

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"field_{n}")
    label = factory.LazyAttribute(lambda field: field.name.replace("_", " ").capitalize())
    field_type = FieldType.STRING
    sensitivity = Sensitivity.NONE
    position = factory.Sequence(lambda n: n)


class PurposeFactory(DjangoModelFactory):
    class Meta:
        model = Purpose

    partnership = factory.SubFactory(PartnershipFactory)
    code = factory.Sequence(lambda n: f"purpose-{n}")
    name = factory.Sequence(lambda n: f"Purpose {n}")
    description = "A purpose agreed by the IG board."


def dataset_with_fields(*, agency: Agency, fields: dict[str, str], **kwargs: Any) -> Dataset:
    """A dataset with named fields of the given sensitivities."""
    dataset = cast(Dataset, DatasetFactory(agency=agency, **kwargs))
    for position, (name, sensitivity) in enumerate(fields.items()):
        DatasetFieldFactory(dataset=dataset, name=name, sensitivity=sensitivity, position=position)
    return dataset


def custodian_of(dataset: Dataset) -> User:
    """A custodian at the dataset's owning agency, with guardian permission on it."""
    custodian = cast(User, UserFactory(agency=dataset.agency, user_types=["custodian"]))
    custodian_assign(dataset=dataset, user=custodian)
    return User.objects.get(pk=custodian.pk)


def draft_terms(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    terms: dict[str, Any] = {
        "disclosure_level": DisclosureLevel.SUMMARY,
        "field_names": [],
        "article6_condition": Article6.E,
        "article9_condition": Article9.H,
        "statute": "Care Act 2014 s.6",
        "necessity_statement": "Practitioners need to know who is already supporting the person.",
        "valid_from": today - timedelta(days=30),
        "valid_until": today + timedelta(days=335),
        "review_date": today + timedelta(days=150),
    }
    return {**terms, **overrides}


def grant_in_force(
    *,
    dataset: Dataset,
    role: Role,
    organisation_type: OrganisationType,
    purpose: Purpose,
    custodian: User | None = None,
    drafted_by: User | None = None,
    **terms: Any,
) -> GrantVersion:
    """A grant drafted, submitted and approved through the real services."""
    signer = custodian or custodian_of(dataset)
    drafter = drafted_by or cast(
        User, UserFactory(agency=dataset.agency, user_types=["partnership_admin"])
    )
    version = grant_draft(
        drafted_by=drafter,
        dataset=dataset,
        role=role,
        organisation_type=organisation_type,
        purpose=purpose,
        **draft_terms(**terms),
    )
    grant_submit(version=version, user=drafter)
    return grant_approve(version=version, custodian=signer, reason="Agreed at IG board.")
