"""Drafting, the two-person rule, versions, custodianship through guardian, and the rules the
database itself enforces."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from agencies.models import OrganisationType, Sensitivity
from governance.models import (
    DisclosureLevel,
    GrantStatus,
    GrantVersion,
    RestrictionKind,
    SignOff,
    SignOffDecision,
)
from governance.services import (
    custodian_assign,
    grant_approve,
    grant_draft,
    grant_draft_update,
    grant_reject,
    grant_submit,
    grants_expire,
    is_custodian,
    restriction_create,
)
from tests.factories import (
    AgencyFactory,
    PartnershipFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    custodian_of,
    dataset_with_fields,
    draft_terms,
    grant_in_force,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def line():
    partnership = PartnershipFactory()
    council = AgencyFactory(partnership=partnership)
    dataset = dataset_with_fields(
        agency=council,
        fields={"given_name": Sensitivity.NONE, "care_package": Sensitivity.HEALTH},
    )
    return {
        "dataset": dataset,
        "role": RoleFactory(partnership=partnership),
        "organisation_type": OrganisationType.objects.get(code="gp_practice"),
        "purpose": PurposeFactory(partnership=partnership),
    }


def _draft(line, drafted_by, **terms):
    return grant_draft(drafted_by=drafted_by, **line, **draft_terms(**terms))


def _submitted(line, drafted_by, **terms):
    version = _draft(line, drafted_by, **terms)
    return grant_submit(version=version, user=drafted_by)


def test_custodian_cannot_sign_off_their_own_draft(line):
    # Given a custodian who drafted a version
    custodian = custodian_of(line["dataset"])
    version = _submitted(line, custodian, field_names=["given_name"])

    # When they try to approve it, then the two-person rule refuses
    with pytest.raises(PermissionDenied, match="two-person rule"):
        grant_approve(version=version, custodian=custodian, reason="Looks fine.")


def test_another_custodian_can_sign_off(line):
    drafter = custodian_of(line["dataset"])
    version = _submitted(line, drafter, field_names=["given_name"])

    approved = grant_approve(
        version=version, custodian=custodian_of(line["dataset"]), reason="Agreed."
    )

    assert approved.status == GrantStatus.APPROVED
    assert SignOff.objects.get(grant_version=version).decision == SignOffDecision.APPROVED


def test_only_custodians_of_the_owning_agency_can_sign_off(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])
    version = _submitted(line, drafter, field_names=["given_name"])
    colleague_without_permission = UserFactory(
        agency=line["dataset"].agency, user_types=["custodian"]
    )

    with pytest.raises(PermissionDenied, match="Only a custodian of"):
        grant_approve(version=version, custodian=colleague_without_permission, reason="Yes.")


def test_custodianship_is_a_guardian_object_permission_at_the_owning_agency(line):
    dataset = line["dataset"]
    elsewhere = AgencyFactory(partnership=dataset.agency.partnership)
    outsider = UserFactory(agency=elsewhere, user_types=["custodian"])
    insider = UserFactory(agency=dataset.agency, user_types=["custodian"])

    custodian_assign(dataset=dataset, user=insider)

    assert is_custodian(user=insider, dataset=dataset)
    assert insider.has_perm("agencies.act_as_custodian", dataset)
    assert not insider.has_perm(
        "agencies.act_as_custodian",
        dataset_with_fields(agency=dataset.agency, fields={"x": Sensitivity.NONE}),
    )
    with pytest.raises(ValidationError, match="only the owning agency's staff"):
        custodian_assign(dataset=dataset, user=outsider)


def test_decision_needs_a_reason(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])
    version = _submitted(line, drafter, field_names=["given_name"])

    with pytest.raises(ValidationError, match="Give the reason"):
        grant_reject(version=version, custodian=custodian_of(line["dataset"]), reason="  ")


def test_rejected_version_never_takes_effect_and_line_can_be_redrafted(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])
    version = _submitted(line, drafter, field_names=["given_name"])

    grant_reject(version=version, custodian=custodian_of(line["dataset"]), reason="Too wide.")
    redraft = _draft(line, drafter, field_names=["given_name"])

    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.REJECTED
    assert redraft.version == 2


def test_a_change_is_a_new_version_and_old_one_is_superseded(line):
    v1 = grant_in_force(**line, field_names=["given_name"])
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])

    v2 = _submitted(line, drafter, disclosure_level=DisclosureLevel.FULL)
    grant_approve(version=v2, custodian=custodian_of(line["dataset"]), reason="Agreed.")

    statuses = dict(GrantVersion.objects.filter(grant=v1.grant).values_list("version", "status"))
    assert statuses == {1: GrantStatus.SUPERSEDED, 2: GrantStatus.APPROVED}


def test_only_one_open_version_per_line(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])
    _draft(line, drafter, field_names=["given_name"])

    with pytest.raises(ValidationError, match="already has a version being drafted"):
        _draft(line, drafter, field_names=["given_name"])


def test_database_keeps_at_most_one_approved_version_per_line(line):
    v1 = grant_in_force(**line, field_names=["given_name"])
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])
    v2 = _submitted(line, drafter, field_names=["given_name"])

    with pytest.raises(IntegrityError), transaction.atomic():
        GrantVersion.objects.filter(pk=v2.pk).update(status=GrantStatus.APPROVED)
    assert GrantVersion.objects.get(pk=v1.pk).status == GrantStatus.APPROVED


def test_no_open_ended_grants(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])

    with pytest.raises(ValidationError):
        _draft(line, drafter, field_names=["given_name"], valid_until=None)


def test_special_category_fields_need_an_article_9_condition(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])

    with pytest.raises(ValidationError, match=r"special category data \(Health\)"):
        _draft(line, drafter, field_names=["care_package"], article9_condition="")


def test_known_to_from_a_health_dataset_needs_an_article_9_condition(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])

    with pytest.raises(ValidationError, match="Article 9"):
        _draft(line, drafter, disclosure_level=DisclosureLevel.KNOWN_TO, article9_condition="")


def test_unknown_fields_are_refused_by_name(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])

    with pytest.raises(ValidationError, match="shoe_size"):
        _draft(line, drafter, field_names=["given_name", "shoe_size"])


def test_full_level_records_every_field(line):
    version = grant_in_force(**line, disclosure_level=DisclosureLevel.FULL)

    assert version.field_names == ["given_name", "care_package"]


def test_grants_cannot_reach_across_partnerships(line):
    stranger = UserFactory(agency=AgencyFactory(), user_types=["partnership_admin"])

    with pytest.raises(ValidationError, match="does not belong to"):
        _draft(line, stranger, field_names=["given_name"])


def test_expiry_ends_versions_past_their_date(line):
    version = grant_in_force(**line, field_names=["given_name"])

    expired = grants_expire(today=version.valid_until + timedelta(days=1))

    assert expired == 1
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.EXPIRED


def test_only_the_owning_agency_restricts_its_records(line):
    outsider = UserFactory(
        agency=AgencyFactory(partnership=line["dataset"].agency.partnership),
        user_types=["ig_officer"],
    )

    with pytest.raises(PermissionDenied, match="can restrict its own records"):
        restriction_create(
            user=outsider,
            dataset=line["dataset"],
            source_key="ASC1",
            kind=RestrictionKind.SEALED,
            reason="Court order.",
        )


# Rules the database enforces even against code that bypasses the services


def test_sign_offs_cannot_be_updated_or_deleted_even_in_raw_sql(line):
    version = grant_in_force(**line, field_names=["given_name"])
    sign_off = SignOff.objects.get(grant_version=version)

    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        SignOff.objects.filter(pk=sign_off.pk).update(reason="Changed later.")
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        sign_off.delete()
    with (
        pytest.raises(Exception, match="immutable"),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        c.execute("UPDATE governance_signoff SET reason = 'x' WHERE id = %s", [sign_off.pk])

    assert SignOff.objects.get(pk=sign_off.pk).reason == "Agreed at IG board."


def test_submitted_terms_cannot_change_even_in_raw_sql(line):
    version = grant_in_force(**line, field_names=["given_name"])

    with pytest.raises(Exception, match="cannot change"), transaction.atomic():
        GrantVersion.objects.filter(pk=version.pk).update(
            field_names=["given_name", "care_package"]
        )
    with pytest.raises(Exception, match="cannot be deleted"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM governance_grantversion WHERE id = %s", [version.pk])

    assert GrantVersion.objects.get(pk=version.pk).field_names == ["given_name"]


def test_a_draft_is_edited_in_place_but_a_submitted_version_is_not(line):
    drafter = UserFactory(agency=line["dataset"].agency, user_types=["partnership_admin"])
    draft = _draft(line, drafter, field_names=["given_name"])

    edited = grant_draft_update(
        version=draft, user=drafter, **draft_terms(field_names=["given_name", "care_package"])
    )
    grant_submit(version=edited, user=drafter)

    assert (edited.pk, edited.version) == (draft.pk, 1)
    assert edited.field_names == ["given_name", "care_package"]
    with pytest.raises(ValidationError, match="Only a draft can be edited"):
        grant_draft_update(version=edited, user=drafter, **draft_terms(field_names=["given_name"]))
