"""The grants list and drafting pages: draft, edit, discard, send for sign-off, propose a change."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import DisclosureLevel, Grant, GrantStatus, GrantVersion
from tests.factories import PurposeFactory, UserFactory
from tests.governance.factories import approved, draft, line_query, submitted, terms_post

pytestmark = pytest.mark.django_db


def _terms_url(sharing):
    return f"{reverse('governance:grant-new-terms')}?{urlencode(line_query(sharing))}"


# The grants list ---------------------------------------------------------------------------------


def test_grants_list_shows_each_line_with_its_version_in_force_and_open_version(
    signed_in, sharing, drafter
):
    # Given a grant in force with a draft of its next version
    in_force = approved(sharing, field_names=["given_name"])
    draft(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    # When the partnership admin opens the grants list
    response = client.get(reverse("governance:grant-list"))
    html = response.content.decode()

    # Then the line shows version 1 in force and version 2 as a draft
    assert response.status_code == 200
    assert reverse("governance:grant-detail", args=[in_force.grant_id]) in html
    assert "Version 1 (Summary: the chosen fields)" in html
    assert "Version 2 <strong" in html
    assert "Draft</strong>" in html


def test_grants_list_filters_by_status(signed_in, sharing, drafter):
    # Given one line awaiting sign-off and another with only a draft
    submitted(sharing, drafted_by=drafter)
    fraud = PurposeFactory(partnership=drafter.partnership, name="Fraud prevention")
    other_purpose = {**sharing, "purpose": fraud}
    draft(other_purpose, drafted_by=drafter)
    client = signed_in(drafter)

    # When the list is filtered to versions awaiting sign-off
    response = client.get(reverse("governance:grant-list"), {"status": "awaiting_sign_off"})
    html = response.content.decode()

    # Then only the awaiting line is listed
    assert "1 grant line with a version that is awaiting sign-off" in html
    assert "for Direct care" in html
    assert "for Fraud prevention" not in html


def test_grants_list_hides_other_partnerships_grants(signed_in, drafter, foreign_sharing):
    # Given a grant in another partnership
    foreign = approved(foreign_sharing)
    client = signed_in(drafter)

    # When the admin lists grants
    html = client.get(reverse("governance:grant-list")).content.decode()

    # Then the foreign grant is not there
    assert reverse("governance:grant-detail", args=[foreign.grant_id]) not in html
    assert "0 grant lines" in html


@pytest.mark.parametrize(
    "url_name", ["governance:grant-list", "governance:grant-new", "governance:grant-new-terms"]
)
def test_practitioners_cannot_open_grant_pages(signed_in, sharing, url_name):
    practitioner = UserFactory(agency=sharing["dataset"].agency, user_types=["practitioner"])
    client = signed_in(practitioner)

    response = client.get(reverse(url_name))

    assert response.status_code == 403


@pytest.mark.parametrize("url_name", ["governance:grant-detail", "governance:grant-new-version"])
def test_practitioners_cannot_open_a_grant_line(signed_in, sharing, url_name):
    version = approved(sharing)
    practitioner = UserFactory(agency=sharing["dataset"].agency, user_types=["practitioner"])
    client = signed_in(practitioner)

    response = client.get(reverse(url_name, args=[version.grant_id]))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "url_name",
    [
        "governance:version-edit",
        "governance:version-submit",
        "governance:version-discard",
    ],
)
def test_practitioners_cannot_open_version_pages(signed_in, sharing, drafter, url_name):
    version = draft(sharing, drafted_by=drafter)
    practitioner = UserFactory(agency=sharing["dataset"].agency, user_types=["practitioner"])
    client = signed_in(practitioner)

    response = client.post(reverse(url_name, args=[version.pk]))

    assert response.status_code == 403
    assert GrantVersion.objects.filter(pk=version.pk, status=GrantStatus.DRAFT).exists()


@pytest.mark.parametrize("user_type", ["partnership_admin", "custodian", "ig_officer"])
def test_each_drafting_user_type_can_open_the_grants_list(signed_in, sharing, user_type):
    user = UserFactory(agency=sharing["dataset"].agency, user_types=[user_type])
    client = signed_in(user)

    response = client.get(reverse("governance:grant-list"))

    assert response.status_code == 200


# Drafting -----------------------------------------------------------------------------------------


def test_step_one_leads_to_terms_listing_the_datasets_fields_with_sensitivity(
    signed_in, sharing, drafter
):
    client = signed_in(drafter)

    # When the admin chooses the dataset, role, organisation type and purpose
    response = client.post(reverse("governance:grant-new"), line_query(sharing))
    terms = client.get(response["Location"])
    html = terms.content.decode()

    # Then the terms page lists that dataset's fields with their sensitivity
    assert response.status_code == 302
    assert response["Location"] == _terms_url(sharing)
    assert terms.status_code == 200
    assert 'name="field_names" type="checkbox" value="care_package"' in html
    assert "Sensitivity: Health" in html
    assert "Sensitivity: Criminal justice" in html


def test_step_one_without_answers_shows_errors_against_each_field(signed_in, drafter):
    client = signed_in(drafter)

    response = client.post(reverse("governance:grant-new"), {})
    html = response.content.decode()

    assert response.status_code == 200
    assert "There is a problem" in html
    assert '<a href="#id_dataset">Choose the dataset to share.</a>' in html
    assert '<a href="#id_purpose">Choose the purpose the data is shared for.</a>' in html


def test_step_one_does_not_offer_another_partnerships_dataset(
    signed_in, sharing, drafter, foreign_sharing
):
    client = signed_in(drafter)

    response = client.post(
        reverse("governance:grant-new"),
        {**line_query(sharing), "dataset": foreign_sharing["dataset"].pk},
    )

    assert response.status_code == 200
    assert "Choose a dataset from the list." in response.content.decode()


def test_terms_save_a_draft_through_the_service(signed_in, sharing, drafter):
    client = signed_in(drafter)

    # When the admin saves the terms
    response = client.post(_terms_url(sharing), terms_post(statute="Care Act 2014 s.6"))

    # Then a draft version 1 exists with exactly the chosen fields, drafted by them
    version = GrantVersion.objects.get(grant__dataset=sharing["dataset"])
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:grant-detail", args=[version.grant_id])
    assert version.status == GrantStatus.DRAFT
    assert version.version == 1
    assert version.field_names == ["given_name", "allocated_worker"]
    assert version.drafted_by == drafter
    assert version.requires_legitimate_relationship is False


def test_missing_dates_are_shown_in_the_error_summary_linked_to_the_day_box(
    signed_in, sharing, drafter
):
    client = signed_in(drafter)
    data = terms_post()
    data.pop("valid_from-day")

    response = client.post(_terms_url(sharing), data)
    html = response.content.decode()

    assert response.status_code == 200
    assert (
        '<a href="#id_valid_from">The date the grant takes effect must include a day.</a>' in html
    )
    assert not GrantVersion.objects.exists()


def test_review_date_outside_validity_is_refused(signed_in, sharing, drafter):
    client = signed_in(drafter)
    today = timezone.localdate()

    response = client.post(_terms_url(sharing), terms_post(review_date=today + timedelta(days=400)))

    assert '<a href="#id_review_date">The review date must be on or after' in (
        response.content.decode()
    )


def test_service_validation_error_is_shown_against_the_fields_checkboxes(
    signed_in, sharing, drafter
):
    client = signed_in(drafter)

    # When a summary grant is saved with no fields
    response = client.post(_terms_url(sharing), terms_post(field_names=[]))
    html = response.content.decode()

    # Then the service's message links to the first field checkbox
    assert response.status_code == 200
    assert '<a href="#id_field_names">Choose the fields a summary grant shares.</a>' in html
    assert 'id="id_field_names" name="field_names" type="checkbox"' in html


def test_special_category_data_needs_an_article_9_condition(signed_in, sharing, drafter):
    client = signed_in(drafter)

    response = client.post(
        _terms_url(sharing), terms_post(field_names=["care_package"], article9_condition="")
    )

    assert '<a href="#id_article9_condition">This grant shares special category data (Health)' in (
        response.content.decode()
    )
    assert not GrantVersion.objects.exists()


def test_an_existing_grant_line_is_opened_instead_of_drafted_again(signed_in, sharing, drafter):
    version = draft(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    response = client.post(reverse("governance:grant-new"), line_query(sharing))

    assert response["Location"] == reverse("governance:grant-detail", args=[version.grant_id])


def test_editing_a_draft_replaces_its_terms_and_keeps_its_version_number(
    signed_in, sharing, drafter
):
    # Given a draft version 2 after an approved version 1
    approved(sharing, field_names=["given_name"])
    version = draft(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    # When the admin edits it
    page = client.get(reverse("governance:version-edit", args=[version.pk]))
    response = client.post(
        reverse("governance:version-edit", args=[version.pk]),
        terms_post(necessity_statement="Only the allocated worker is needed now."),
    )

    # Then the form was pre-filled, and the one open version has the new terms
    edited = GrantVersion.objects.get(grant=version.grant, status=GrantStatus.DRAFT)
    assert "Practitioners need to know who is already supporting the person." in (
        page.content.decode()
    )
    assert response.status_code == 302
    assert edited.version == 2
    assert edited.necessity_statement == "Only the allocated worker is needed now."


def test_a_refused_edit_keeps_the_draft_as_it_was(signed_in, sharing, drafter):
    version = draft(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    response = client.post(
        reverse("governance:version-edit", args=[version.pk]), terms_post(field_names=[])
    )

    assert response.status_code == 200
    assert GrantVersion.objects.get(pk=version.pk).field_names == ["given_name", "allocated_worker"]


def test_a_version_sent_for_sign_off_cannot_be_edited(signed_in, sharing, drafter):
    version = submitted(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    response = client.post(
        reverse("governance:version-edit", args=[version.pk]), terms_post(statute="Changed.")
    )

    assert response["Location"] == reverse("governance:grant-detail", args=[version.grant_id])
    assert GrantVersion.objects.get(pk=version.pk).statute == "Care Act 2014 s.6"


def test_discarding_a_draft_deletes_it(signed_in, sharing, drafter):
    version = draft(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    confirm = client.get(reverse("governance:version-discard", args=[version.pk]))
    response = client.post(reverse("governance:version-discard", args=[version.pk]))

    assert "This cannot be undone." in confirm.content.decode()
    assert response["Location"] == reverse("governance:grant-detail", args=[version.grant_id])
    assert not GrantVersion.objects.filter(pk=version.pk).exists()


def test_sending_a_draft_for_sign_off_after_checking_answers(signed_in, sharing, drafter):
    version = draft(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    # When the admin checks their answers and sends the draft
    check = client.get(reverse("governance:version-submit", args=[version.pk]))
    response = client.post(reverse("governance:version-submit", args=[version.pk]))

    # Then the summary listed what it shares and the version now awaits sign-off
    assert "Allocated worker" in check.content.decode()
    assert response.status_code == 302
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.AWAITING_SIGN_OFF


def test_proposing_a_change_starts_from_the_version_in_force(signed_in, sharing, drafter):
    # Given an approved version sharing the given name only
    in_force = approved(sharing, field_names=["given_name"], statute="Children Act 2004")
    client = signed_in(drafter)
    url = reverse("governance:grant-new-version", args=[in_force.grant_id])

    # When the admin proposes a change adding the allocated worker
    page = client.get(url)
    response = client.post(
        url,
        terms_post(field_names=["given_name", "allocated_worker"], statute="Children Act 2004"),
    )

    # Then the form was pre-filled from version 1 and version 2 is a draft
    html = page.content.decode()
    assert 'value="Children Act 2004"' in html
    assert 'type="checkbox" value="given_name" checked' in html
    assert 'type="checkbox" value="allocated_worker" checked' not in html
    assert response.status_code == 302
    proposed = GrantVersion.objects.get(grant=in_force.grant, version=2)
    assert proposed.status == GrantStatus.DRAFT
    assert proposed.field_names == ["given_name", "allocated_worker"]


def test_proposing_a_change_while_a_version_is_open_goes_back_to_the_grant(
    signed_in, sharing, drafter
):
    version = submitted(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    response = client.get(reverse("governance:grant-new-version", args=[version.grant_id]))
    detail = client.get(response["Location"])

    assert response["Location"] == reverse("governance:grant-detail", args=[version.grant_id])
    assert "Version 1 is already awaiting sign-off" in detail.content.decode()


def test_grant_detail_offers_to_propose_a_change_to_the_version_in_force(
    signed_in, sharing, drafter
):
    in_force = approved(sharing, disclosure_level=DisclosureLevel.KNOWN_TO, field_names=[])
    client = signed_in(drafter)

    html = client.get(reverse("governance:grant-detail", args=[in_force.grant_id])).content.decode()

    assert "Propose a change" in html
    assert "Agreed at IG board." in html


@pytest.mark.parametrize(
    "url_name",
    ["governance:grant-detail", "governance:grant-new-version"],
)
def test_another_partnerships_grant_is_not_found(signed_in, drafter, foreign_sharing, url_name):
    foreign = approved(foreign_sharing)
    client = signed_in(drafter)

    response = client.get(reverse(url_name, args=[foreign.grant_id]))

    assert response.status_code == 404
    assert foreign_sharing["dataset"].name not in response.content.decode()


@pytest.mark.parametrize(
    "url_name",
    ["governance:version-edit", "governance:version-submit", "governance:version-discard"],
)
def test_another_partnerships_draft_is_not_found(signed_in, drafter, foreign_sharing, url_name):
    foreign_drafter = UserFactory(
        agency=foreign_sharing["dataset"].agency, user_types=["partnership_admin"]
    )
    foreign = draft(foreign_sharing, drafted_by=foreign_drafter)
    client = signed_in(drafter)

    response = client.post(reverse(url_name, args=[foreign.pk]), terms_post())

    assert response.status_code == 404
    assert GrantVersion.objects.filter(pk=foreign.pk, status=GrantStatus.DRAFT).exists()


def test_terms_page_for_another_partnerships_line_goes_back_to_step_one(
    signed_in, drafter, foreign_sharing
):
    client = signed_in(drafter)

    response = client.post(_terms_url(foreign_sharing), terms_post())

    assert response["Location"] == reverse("governance:grant-new")
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    ("user_type", "landing"),
    [
        ("partnership_admin", "landing-partnership-admin"),
        ("ig_officer", "landing-ig-officer"),
        ("custodian", "landing-custodian"),
    ],
)
def test_landing_pages_link_to_the_grants_list(signed_in, sharing, user_type, landing):
    user = UserFactory(agency=sharing["dataset"].agency, user_types=[user_type])
    client = signed_in(user)

    html = client.get(reverse(landing)).content.decode()

    assert reverse("governance:grant-list") in html
