"""Previews on a sample person: the pure synthetic record, a grant version's preview and an
audience's preview, with restrictions; fields not granted never reach the page."""

from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from governance.models import DisclosureLevel, RestrictionKind
from governance.preview import nhs_check_digit, sample_value, synthetic_record
from tests.factories import PurposeFactory, UserFactory
from tests.governance.factories import approved, draft, submitted


@dataclass(frozen=True)
class Field:
    name: str
    field_type: str
    label: str = "A field"
    choices: list[str] = field(default_factory=list)


# The synthetic person (pure, no database) --------------------------------------------------------


def test_the_sample_person_is_clearly_fictional():
    record = synthetic_record(
        [
            Field("given_name", "string"),
            Field("family_name", "string"),
            Field("postcode", "postcode"),
            Field("duty_team_phone", "string"),
        ]
    )

    assert record == {
        "given_name": "Sample",
        "family_name": "Person",
        "postcode": "ZZ99 3VZ",
        "duty_team_phone": "01632 960000",
    }


def test_the_sample_nhs_number_is_in_the_test_range_with_a_valid_check_digit():
    digits = sample_value(Field("nhs_number", "nhs_number")).replace(" ", "")

    assert digits.startswith("999")
    assert len(digits) == 10
    assert nhs_check_digit(digits[:9]) == int(digits[9])


def test_choices_come_from_the_fields_own_choices():
    value = sample_value(Field("team", "choice", choices=["North team", "South team"]))

    assert value in {"North team", "South team"}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (Field("date_of_birth", "date"), "1970-01-01"),
        (Field("smoke_alarm_fitted", "boolean"), "Yes"),
        (Field("risk_score", "integer"), "3"),
        (Field("allocated_worker", "string", label="Allocated worker"), "Sample allocated worker"),
        (Field("status", "choice"), "Not recorded"),
    ],
)
def test_each_field_type_has_a_plausible_value(definition, expected):
    assert sample_value(definition) == expected


def test_other_dates_differ_per_field_so_each_can_be_told_apart():
    record = synthetic_record([Field("first_seen", "date"), Field("last_seen", "date")])

    assert record["first_seen"] != record["last_seen"]


# A grant version's preview -----------------------------------------------------------------------


@pytest.mark.django_db
def test_version_preview_shows_only_the_granted_fields_values(signed_in, sharing, drafter):
    # Given a version awaiting sign-off that shares the given name and allocated worker only
    version = submitted(sharing, drafted_by=drafter)
    ig_officer = UserFactory(agency=sharing["dataset"].agency, user_types=["ig_officer"])
    client = signed_in(ig_officer)

    # When the IG officer previews it
    response = client.get(reverse("governance:version-preview", args=[version.pk]))
    html = response.content.decode()

    # Then the sample person's granted values appear and the others are not in the page at all
    assert response.status_code == 200
    assert "Sample allocated worker" in html
    assert ">Sample<" in html
    assert "Sample warning markers" not in html
    assert "Warning markers" not in html
    assert "ZZ99 3VZ" not in html
    assert "Person" not in html


@pytest.mark.django_db
def test_protected_address_hides_location_fields(signed_in, sharing, drafter, custodian):
    version = draft(sharing, drafted_by=drafter, field_names=["given_name", "postcode"])
    client = signed_in(custodian)
    url = reverse("governance:version-preview", args=[version.pk])

    plain = client.get(url).content.decode()
    protected = client.get(
        url, {"restrictions": RestrictionKind.PROTECTED_ADDRESS}
    ).content.decode()

    assert "ZZ99 3VZ" in plain
    assert "ZZ99 3VZ" not in protected
    assert 'value="protected_address" checked' in protected


@pytest.mark.django_db
def test_objection_withholds_everything_for_an_ordinary_purpose(
    signed_in, sharing, drafter, custodian
):
    version = draft(sharing, drafted_by=drafter)
    client = signed_in(custodian)

    html = client.get(
        reverse("governance:version-preview", args=[version.pk]),
        {"restrictions": RestrictionKind.OBJECTION},
    ).content.decode()

    assert "because the person objected to sharing" in html
    assert "Sample allocated worker" not in html


@pytest.mark.django_db
def test_a_known_to_version_shows_only_that_the_agency_knows_the_person(
    signed_in, sharing, drafter, custodian
):
    version = draft(
        sharing, drafted_by=drafter, disclosure_level=DisclosureLevel.KNOWN_TO, field_names=[]
    )
    client = signed_in(custodian)

    html = client.get(reverse("governance:version-preview", args=[version.pk])).content.decode()

    assert "Avonshire County Council knows this person." in html
    assert ">Sample<" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("user_type", ["practitioner", "partnership_admin", "partner_it"])
def test_only_custodians_and_ig_officers_can_preview(signed_in, sharing, drafter, user_type):
    version = draft(sharing, drafted_by=drafter)
    user = UserFactory(agency=sharing["dataset"].agency, user_types=[user_type])
    client = signed_in(user)

    version_page = client.get(reverse("governance:version-preview", args=[version.pk]))
    audience_page = client.get(reverse("governance:audience-preview"))

    assert version_page.status_code == 403
    assert audience_page.status_code == 403


@pytest.mark.django_db
def test_another_partnerships_version_cannot_be_previewed(signed_in, custodian, foreign_sharing):
    foreign = approved(foreign_sharing)
    client = signed_in(custodian)

    response = client.get(reverse("governance:version-preview", args=[foreign.pk]))

    assert response.status_code == 404
    assert "Sample allocated worker" not in response.content.decode()


# An audience's preview ---------------------------------------------------------------------------


def _audience(sharing):
    return {
        "role": sharing["role"].pk,
        "organisation_type": sharing["organisation_type"].pk,
        "purpose": sharing["purpose"].pk,
    }


@pytest.mark.django_db
def test_audience_preview_shows_a_card_per_dataset_in_force(signed_in, sharing, custodian):
    # Given a grant in force sharing the given name and allocated worker
    approved(sharing)
    client = signed_in(custodian)

    # When the custodian previews that role at that organisation type for that purpose
    response = client.get(reverse("governance:audience-preview"), _audience(sharing))
    html = response.content.decode()

    # Then one card shows the granted values and nothing else of the dataset
    assert response.status_code == 200
    assert html.count('class="govuk-summary-card__title"') == 1
    assert "Adult social care, Avonshire County Council" in html
    assert "Sample allocated worker" in html
    assert "Sample warning markers" not in html
    assert "999 " not in html


@pytest.mark.django_db
def test_audience_preview_ignores_versions_not_in_force(signed_in, sharing, drafter, custodian):
    submitted(sharing, drafted_by=drafter)
    client = signed_in(custodian)

    html = client.get(reverse("governance:audience-preview"), _audience(sharing)).content.decode()

    assert "Nothing is shared with this audience for this purpose today" in html
    assert "Sample allocated worker" not in html


@pytest.mark.django_db
def test_sealed_record_is_withheld_unless_the_purpose_overrides(signed_in, sharing, custodian):
    # Given the same grant for an ordinary purpose and a safeguarding purpose
    approved(sharing)
    safeguarding = PurposeFactory(
        partnership=custodian.partnership, name="Safeguarding", overrides_objection=True
    )
    approved({**sharing, "purpose": safeguarding})
    client = signed_in(custodian)
    sealed = {"restrictions": RestrictionKind.SEALED}

    # When each is previewed on a sealed record
    ordinary = client.get(
        reverse("governance:audience-preview"), {**_audience(sharing), **sealed}
    ).content.decode()
    overriding = client.get(
        reverse("governance:audience-preview"),
        {**_audience(sharing), "purpose": safeguarding.pk, **sealed},
    ).content.decode()

    # Then the ordinary purpose sees nothing and safeguarding sees known-to only
    assert "because the record is sealed" in ordinary
    assert "Avonshire County Council knows this person." in overriding
    assert "Sample allocated worker" not in overriding


@pytest.mark.django_db
def test_audience_preview_without_a_choice_shows_errors(signed_in, custodian):
    client = signed_in(custodian)

    html = client.get(reverse("governance:audience-preview"), {"role": ""}).content.decode()

    assert '<a href="#id_role">Choose the job role to preview.</a>' in html


@pytest.mark.django_db
def test_audience_preview_does_not_reach_another_partnership(signed_in, custodian, foreign_sharing):
    # Given a grant in force in another partnership
    approved(foreign_sharing)
    client = signed_in(custodian)

    # When the custodian asks for that partnership's role and purpose
    response = client.get(reverse("governance:audience-preview"), _audience(foreign_sharing))
    html = response.content.decode()

    # Then the choices are refused and nothing is shown
    assert "Choose a job role from the list." in html
    assert "Sample allocated worker" not in html
