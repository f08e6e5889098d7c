"""The permission matrix the policy derives from grants, person-level restrictions, and the
fixed cost of bulk decisions."""

from datetime import timedelta

import pytest

from agencies.models import OrganisationType, Sensitivity, SourceRecord
from governance import policy
from governance.models import DisclosureLevel, RestrictionKind
from governance.services import (
    grant_approve,
    grant_draft,
    grant_reinstate,
    grant_revoke,
    grant_submit,
    grant_suspend,
    restriction_create,
    restriction_lift,
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

FIELDS = {
    "given_name": Sensitivity.NONE,
    "address": Sensitivity.LOCATION,
    "postcode": Sensitivity.LOCATION,
    "care_package": Sensitivity.HEALTH,
    "duty_team_phone": Sensitivity.NONE,
}


def _type(code):
    return OrganisationType.objects.get(code=code)


@pytest.fixture
def world():
    """A council sharing adult social care with GPs at GP practices."""
    partnership = PartnershipFactory()
    council = AgencyFactory(partnership=partnership, organisation_type=_type("local_authority"))
    practice = AgencyFactory(partnership=partnership, organisation_type=_type("gp_practice"))
    hospital = AgencyFactory(partnership=partnership, organisation_type=_type("acute_trust"))
    gp = RoleFactory(partnership=partnership, code="gp", name="GP")
    social_worker = RoleFactory(partnership=partnership, code="sw", name="Social worker")
    direct_care = PurposeFactory(partnership=partnership, code="direct-care")
    safeguarding = PurposeFactory(
        partnership=partnership, code="safeguarding", overrides_objection=True
    )
    dataset = dataset_with_fields(agency=council, fields=FIELDS, code="asc")
    return {
        "partnership": partnership,
        "council": council,
        "practice": practice,
        "hospital": hospital,
        "gp": gp,
        "social_worker": social_worker,
        "direct_care": direct_care,
        "safeguarding": safeguarding,
        "dataset": dataset,
        "custodian": custodian_of(dataset),
        "doctor": UserFactory(agency=practice, role_id=gp.pk),
    }


def _grant(world, purpose="direct_care", **terms):
    return grant_in_force(
        dataset=world["dataset"],
        role=world["gp"],
        organisation_type=_type("gp_practice"),
        purpose=world[purpose],
        custodian=world["custodian"],
        **terms,
    )


def _decide(world, user=None, purpose="direct_care", at=None):
    return policy.decide(
        user=user or world["doctor"],
        purpose=world[purpose],
        dataset_id=world["dataset"].pk,
        at=at,
    )


@pytest.mark.parametrize(
    ("level", "field_names", "expected_fields"),
    [
        (DisclosureLevel.KNOWN_TO, [], set()),
        (DisclosureLevel.SUMMARY, ["given_name", "care_package"], {"given_name", "care_package"}),
        (DisclosureLevel.FULL, [], set(FIELDS)),
    ],
)
def test_each_disclosure_level_shows_exactly_its_fields(world, level, field_names, expected_fields):
    version = _grant(world, disclosure_level=level, field_names=field_names)

    decision = _decide(world)

    assert decision.level == level
    assert decision.fields == expected_fields
    assert (decision.grant_id, decision.grant_version) == (version.grant_id, 1)


def test_no_grant_shows_nothing(world):
    decision = _decide(world)

    assert decision.level is None
    assert decision.withheld == policy.Withheld.NO_GRANT


def test_user_without_role_sees_nothing(world):
    _grant(world, field_names=["given_name"])
    no_role = UserFactory(agency=world["practice"])

    assert _decide(world, user=no_role).withheld == policy.Withheld.NO_ROLE


def test_other_role_at_same_organisation_type_sees_nothing(world):
    _grant(world, field_names=["given_name"])
    nurse = UserFactory(agency=world["practice"], role_id=world["social_worker"].pk)

    assert _decide(world, user=nurse).level is None


def test_same_role_at_other_organisation_type_sees_nothing(world):
    _grant(world, field_names=["given_name"])
    hospital_gp = UserFactory(agency=world["hospital"], role_id=world["gp"].pk)

    assert _decide(world, user=hospital_gp).level is None


def test_other_purpose_sees_nothing(world):
    _grant(world, field_names=["given_name"])

    assert _decide(world, purpose="safeguarding").level is None


def test_expired_and_not_yet_valid_grants_show_nothing(world):
    version = _grant(world, field_names=["given_name"])

    after = _decide(world, at=version.valid_until + timedelta(days=1))
    before = _decide(world, at=version.valid_from - timedelta(days=1))
    last_day = _decide(world, at=version.valid_until)

    assert after.level is None
    assert before.level is None
    assert last_day.level == DisclosureLevel.SUMMARY


def test_draft_and_awaiting_versions_show_nothing(world):
    drafter = UserFactory(agency=world["council"], user_types=["partnership_admin"])
    version = grant_draft(
        drafted_by=drafter,
        dataset=world["dataset"],
        role=world["gp"],
        organisation_type=_type("gp_practice"),
        purpose=world["direct_care"],
        **draft_terms(field_names=["given_name"]),
    )
    as_draft = _decide(world)
    grant_submit(version=version, user=drafter)

    assert as_draft.level is None
    assert _decide(world).level is None


def test_suspended_grant_shows_nothing_until_reinstated(world):
    version = _grant(world, field_names=["given_name"])
    custodian = world["custodian"]

    grant_suspend(version=version, custodian=custodian, reason="Data quality concern.")
    suspended = _decide(world)
    grant_reinstate(version=version, custodian=custodian, reason="Resolved.")

    assert suspended.level is None
    assert _decide(world).level == DisclosureLevel.SUMMARY


def test_revoked_grant_shows_nothing(world):
    version = _grant(world, field_names=["given_name"])

    grant_revoke(version=version, custodian=world["custodian"], reason="Agreement ended.")

    assert _decide(world).level is None


def test_superseded_version_gives_way_only_when_successor_is_approved(world):
    # Given version 1 in force and version 2 (wider) awaiting sign-off
    _grant(world, field_names=["given_name"])
    drafter = UserFactory(agency=world["council"], user_types=["partnership_admin"])
    v2 = grant_draft(
        drafted_by=drafter,
        dataset=world["dataset"],
        role=world["gp"],
        organisation_type=_type("gp_practice"),
        purpose=world["direct_care"],
        **draft_terms(field_names=["given_name", "care_package"]),
    )
    grant_submit(version=v2, user=drafter)
    while_awaiting = _decide(world)

    # When version 2 is approved
    grant_approve(version=v2, custodian=world["custodian"], reason="Wider sharing agreed.")
    after = _decide(world)

    # Then version 1 held until then, and version 2 holds after
    assert (while_awaiting.grant_version, while_awaiting.fields) == (1, {"given_name"})
    assert (after.grant_version, after.fields) == (2, {"given_name", "care_package"})


def test_other_partnership_user_with_same_role_and_type_sees_nothing(world):
    _grant(world, field_names=["given_name"])
    elsewhere = PartnershipFactory()
    practice = AgencyFactory(partnership=elsewhere, organisation_type=_type("gp_practice"))
    their_gp = RoleFactory(partnership=elsewhere, code="gp", name="GP")
    their_doctor = UserFactory(agency=practice, role_id=their_gp.pk)

    assert _decide(world, user=their_doctor).level is None


def test_purposes_available_are_those_with_a_grant_in_force(world):
    _grant(world, field_names=["given_name"])

    available = list(policy.purposes_available(user=world["doctor"]))

    assert available == [world["direct_care"]]


def test_a_declared_purpose_comes_with_the_same_grants_as_its_snapshot(world):
    version = _grant(world, field_names=["given_name"])
    doctor = world["doctor"]

    declared = policy.declared_snapshot(user=doctor, purpose_id=world["direct_care"].pk)
    expected = policy.snapshot(user=doctor, purpose=world["direct_care"])

    assert declared is not None
    assert declared.purpose == world["direct_care"]
    assert declared.dataset_ids == expected.dataset_ids == {world["dataset"].pk}
    assert declared.decide(world["dataset"].pk) == expected.decide(world["dataset"].pk)
    assert declared.decide(world["dataset"].pk).grant_version_id == version.pk


def test_a_declared_purpose_without_a_grant_in_force_no_longer_holds(world):
    version = _grant(world, field_names=["given_name"])
    doctor = world["doctor"]
    purpose_id = world["direct_care"].pk

    after_expiry = policy.declared_snapshot(
        user=doctor, purpose_id=purpose_id, at=version.valid_until + timedelta(days=1)
    )
    other_purpose = policy.declared_snapshot(user=doctor, purpose_id=world["safeguarding"].pk)
    grant_suspend(version=version, custodian=world["custodian"], reason="Data quality concern.")
    suspended = policy.declared_snapshot(user=doctor, purpose_id=purpose_id)

    assert after_expiry is None
    assert other_purpose is None
    assert suspended is None


def test_another_partnerships_purpose_cannot_be_declared(world):
    _grant(world, field_names=["given_name"])
    elsewhere = PurposeFactory(partnership=PartnershipFactory(), code="direct-care")

    assert policy.declared_snapshot(user=world["doctor"], purpose_id=elsewhere.pk) is None


# Restrictions


def _restrict(world, kind, key="ASC1"):
    return restriction_create(
        user=world["custodian"],
        dataset=world["dataset"],
        source_key=key,
        kind=kind,
        reason="Recorded at the person's request.",
    )


def _decide_record(world, purpose="direct_care", key="ASC1"):
    return policy.decide(
        user=world["doctor"],
        purpose=world[purpose],
        dataset_id=world["dataset"].pk,
        source_key=key,
    )


def test_objection_withholds_everything_for_ordinary_purposes(world):
    _grant(world, disclosure_level=DisclosureLevel.FULL)
    _restrict(world, RestrictionKind.OBJECTION)

    decision = _decide_record(world)

    assert decision.level is None
    assert decision.withheld == policy.Withheld.OBJECTION


def test_objection_is_overridden_by_an_overriding_purpose(world):
    _grant(world, purpose="safeguarding", disclosure_level=DisclosureLevel.FULL)
    _restrict(world, RestrictionKind.OBJECTION)

    decision = _decide_record(world, purpose="safeguarding")

    assert decision.level == DisclosureLevel.FULL
    assert decision.fields == set(FIELDS)


def test_protected_address_never_discloses_address_fields(world):
    _grant(world, purpose="safeguarding", disclosure_level=DisclosureLevel.FULL)
    _restrict(world, RestrictionKind.PROTECTED_ADDRESS)

    decision = _decide_record(world, purpose="safeguarding")

    assert decision.fields == {"given_name", "care_package", "duty_team_phone"}


def test_sealed_record_is_withheld_for_ordinary_purposes(world):
    _grant(world, disclosure_level=DisclosureLevel.FULL)
    _restrict(world, RestrictionKind.SEALED)

    assert _decide_record(world).withheld == policy.Withheld.SEALED


def test_sealed_record_is_known_to_only_for_overriding_purposes(world):
    _grant(world, purpose="safeguarding", disclosure_level=DisclosureLevel.FULL)
    _restrict(world, RestrictionKind.SEALED)

    decision = _decide_record(world, purpose="safeguarding")

    assert decision.level == DisclosureLevel.KNOWN_TO
    assert decision.fields == set()


def test_restriction_applies_to_its_record_only(world):
    _grant(world, disclosure_level=DisclosureLevel.FULL)
    _restrict(world, RestrictionKind.OBJECTION, key="ASC1")

    assert _decide_record(world, key="ASC2").level == DisclosureLevel.FULL


def test_lifted_restriction_no_longer_applies(world):
    _grant(world, disclosure_level=DisclosureLevel.FULL)
    restriction = _restrict(world, RestrictionKind.OBJECTION)

    restriction_lift(user=world["custodian"], restriction=restriction, reason="Consent given.")

    assert _decide_record(world).level == DisclosureLevel.FULL


# Bulk decisions at a fixed cost


def _records(world, count):
    return [policy.RecordRef(world["dataset"].pk, f"ASC{n}") for n in range(count)]


@pytest.mark.parametrize("count", [1, 50, 500])
def test_bulk_decisions_cost_three_queries_however_many_records(
    world, django_assert_max_num_queries, count
):
    _grant(world, disclosure_level=DisclosureLevel.FULL)
    _restrict(world, RestrictionKind.OBJECTION, key="ASC0")
    records = _records(world, count)
    user, purpose = world["doctor"], world["direct_care"]

    with django_assert_max_num_queries(3):
        decisions = policy.decide_for_records(user=user, purpose=purpose, records=records)

    assert decisions[records[0]].withheld == policy.Withheld.OBJECTION
    assert sum(decision.shown for decision in decisions.values()) == count - 1


def test_compiled_filter_keeps_exactly_the_disclosable_records(world):
    # Given three records of the shared dataset, one objected to, and one of an unshared dataset
    _grant(world, disclosure_level=DisclosureLevel.FULL)
    other = dataset_with_fields(agency=world["council"], fields={"given_name": "none"})
    for key in ("ASC1", "ASC2", "ASC3"):
        SourceRecord.objects.create(dataset=world["dataset"], source_key=key)
    SourceRecord.objects.create(dataset=other, source_key="OTHER1")
    _restrict(world, RestrictionKind.OBJECTION, key="ASC2")

    # When the records are filtered for ordinary and overriding purposes
    ordinary = policy.records_filter(user=world["doctor"], purpose=world["direct_care"])
    kept = SourceRecord.objects.filter(ordinary).values_list("source_key", flat=True)

    # Then only the granted, unrestricted records remain
    assert sorted(kept) == ["ASC1", "ASC3"]
