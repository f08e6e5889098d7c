"""Custodian sign-off pages: the queue, check your answers, approve or reject with a reason, the
two-person rule, and suspending, reinstating or revoking a version in force."""

import pytest
from django.urls import reverse

from agencies.models import Sensitivity
from governance.models import DisclosureLevel, GrantStatus, GrantVersion, SignOff, SignOffDecision
from tests.factories import UserFactory, custodian_of, dataset_with_fields
from tests.governance.factories import approved, submitted

pytestmark = pytest.mark.django_db


def test_queue_lists_versions_awaiting_sign_off_for_the_custodians_datasets_only(
    signed_in, sharing, drafter, custodian
):
    # Given a version awaiting sign-off for the custodian's dataset, and one for another dataset
    mine = submitted(sharing, drafted_by=drafter)
    other_dataset = dataset_with_fields(
        agency=sharing["dataset"].agency,
        fields={"given_name": Sensitivity.NONE},
        name="Council tax",
    )
    theirs = submitted(
        {**sharing, "dataset": other_dataset}, drafted_by=drafter, field_names=["given_name"]
    )
    client = signed_in(custodian)

    # When the custodian opens their queue
    html = client.get(reverse("governance:sign-off-queue")).content.decode()

    # Then only their dataset's version is listed
    assert reverse("governance:sign-off-review", args=[mine.pk]) in html
    assert reverse("governance:sign-off-review", args=[theirs.pk]) not in html
    assert "1 version awaiting sign-off" in html


def test_custodian_landing_page_links_to_the_queue(signed_in, custodian):
    client = signed_in(custodian)

    html = client.get(reverse("landing-custodian")).content.decode()

    assert reverse("governance:sign-off-queue") in html


@pytest.mark.parametrize("user_type", ["practitioner", "ig_officer", "partnership_admin"])
def test_only_custodians_can_open_the_sign_off_queue(signed_in, sharing, user_type):
    user = UserFactory(agency=sharing["dataset"].agency, user_types=[user_type])
    client = signed_in(user)

    response = client.get(reverse("governance:sign-off-queue"))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "url_name",
    ["governance:sign-off-review", "governance:version-status", "governance:sign-off-done"],
)
def test_only_custodians_can_open_decision_pages(signed_in, sharing, url_name):
    version = approved(sharing)
    ig_officer = UserFactory(agency=sharing["dataset"].agency, user_types=["ig_officer"])
    client = signed_in(ig_officer)

    response = client.get(reverse(url_name, args=[version.pk]))

    assert response.status_code == 403


def test_queue_leaves_out_another_partnerships_versions(signed_in, custodian, foreign_sharing):
    # Given a version awaiting sign-off in another partnership
    foreign_drafter = UserFactory(
        agency=foreign_sharing["dataset"].agency, user_types=["partnership_admin"]
    )
    foreign = submitted(foreign_sharing, drafted_by=foreign_drafter)
    client = signed_in(custodian)

    # When the custodian opens their queue
    html = client.get(reverse("governance:sign-off-queue")).content.decode()

    # Then it is not listed
    assert reverse("governance:sign-off-review", args=[foreign.pk]) not in html
    assert "No grant versions are awaiting your sign-off." in html


def test_a_partnership_admin_cannot_approve(signed_in, sharing, drafter):
    version = submitted(sharing, drafted_by=drafter)
    client = signed_in(drafter)

    response = client.post(
        reverse("governance:sign-off-review", args=[version.pk]),
        {"decision": "approved", "reason": "Looks fine."},
    )

    assert response.status_code == 403
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.AWAITING_SIGN_OFF


def test_check_your_answers_shows_exactly_what_would_be_shared(
    signed_in, sharing, drafter, custodian
):
    # Given version 1 in force sharing given name and allocated worker, and version 2 awaiting
    # sign-off that drops the worker and adds the care package (health data)
    approved(sharing)
    version = submitted(
        sharing,
        drafted_by=drafter,
        field_names=["given_name", "care_package"],
        statute="Care Act 2014 s.6",
        conditions="Only while the person is open to the practice.",
    )
    client = signed_in(custodian)

    # When the custodian opens it
    html = client.get(reverse("governance:sign-off-review", args=[version.pk])).content.decode()

    # Then they see the dataset, audience, fields with sensitivity, legal basis, drafter and diff
    assert "Adult social care, owned by Avonshire County Council" in html
    assert "Care co-ordinator" in html
    assert "GP practice" in html
    assert "Care package" in html
    assert "Health sensitivity" in html
    assert "9(2)(h) health or social care" in html
    assert "6(1)(e) public task" in html
    assert "Care Act 2014 s.6" in html
    assert "Only while the person is open to the practice." in html
    assert f"{drafter.get_full_name()}, {drafter.agency.name}" in html
    assert "Warning markers" not in html
    assert (
        'Fields added</dt><dd class="govuk-summary-list__value"><ul class="govuk-list">'
        "<li>Care package</li>" in html
    )
    assert (
        'Fields removed</dt><dd class="govuk-summary-list__value"><ul '
        'class="govuk-list"><li>Allocated worker</li>' in html
    )
    assert 'name="decision" type="radio" value="approved"' in html


def test_level_change_is_shown_against_the_version_in_force(signed_in, sharing, drafter, custodian):
    approved(sharing, disclosure_level=DisclosureLevel.KNOWN_TO, field_names=[])
    version = submitted(sharing, drafted_by=drafter, disclosure_level=DisclosureLevel.FULL)
    client = signed_in(custodian)

    html = client.get(reverse("governance:sign-off-review", args=[version.pk])).content.decode()

    assert "Changes from “Known-to flag only” to “Full: every field of the dataset”" in html


def test_approving_with_a_reason_records_the_sign_off_and_confirms(
    signed_in, sharing, drafter, custodian
):
    version = submitted(sharing, drafted_by=drafter)
    client = signed_in(custodian)

    # When the custodian approves with a reason
    response = client.post(
        reverse("governance:sign-off-review", args=[version.pk]),
        {"decision": "approved", "reason": "Agreed at the IG board on 3 March."},
    )
    done = client.get(response["Location"])

    # Then the version is in force, the sign-off is kept and a panel confirms it
    assert response["Location"] == reverse("governance:sign-off-done", args=[version.pk])
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.APPROVED
    assert SignOff.objects.get(grant_version=version).reason == "Agreed at the IG board on 3 March."
    assert "govuk-panel--confirmation" in done.content.decode()
    assert "Version 1 approved" in done.content.decode()


def test_rejecting_with_a_reason_rejects_the_version(signed_in, sharing, drafter, custodian):
    version = submitted(sharing, drafted_by=drafter)
    client = signed_in(custodian)

    client.post(
        reverse("governance:sign-off-review", args=[version.pk]),
        {"decision": "rejected", "reason": "The allocated worker is not needed for this purpose."},
    )

    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.REJECTED
    assert SignOff.objects.get(grant_version=version).decision == SignOffDecision.REJECTED


def test_a_decision_without_a_reason_is_refused_in_the_error_summary(
    signed_in, sharing, drafter, custodian
):
    version = submitted(sharing, drafted_by=drafter)
    client = signed_in(custodian)

    response = client.post(
        reverse("governance:sign-off-review", args=[version.pk]), {"decision": "approved"}
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert '<a href="#id_reason">Enter the reason for your decision.</a>' in html
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.AWAITING_SIGN_OFF


def test_a_decision_without_a_choice_links_to_the_first_radio(
    signed_in, sharing, drafter, custodian
):
    version = submitted(sharing, drafted_by=drafter)
    client = signed_in(custodian)

    html = client.post(
        reverse("governance:sign-off-review", args=[version.pk]), {"reason": "Fine."}
    ).content.decode()

    assert '<a href="#id_decision">Choose whether you approve or reject this version.</a>' in html
    assert 'id="id_decision" name="decision" type="radio"' in html


def test_a_custodian_who_drafted_the_version_sees_why_they_cannot_sign_it(
    signed_in, sharing, custodian
):
    # Given a version the custodian drafted themselves
    version = submitted(sharing, drafted_by=custodian)
    client = signed_in(custodian)

    # When they open it and try to approve it anyway
    page = client.get(reverse("governance:sign-off-review", args=[version.pk])).content.decode()
    response = client.post(
        reverse("governance:sign-off-review", args=[version.pk]),
        {"decision": "approved", "reason": "Looks fine."},
    )

    # Then the page explains the two-person rule without a decision form, and the post is refused
    assert "another custodian must sign it off (two-person rule)" in page
    assert 'name="decision"' not in page
    assert response.status_code == 403
    assert "two-person rule" in response.content.decode()
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.AWAITING_SIGN_OFF


def test_suspending_and_reinstating_a_version_in_force(signed_in, sharing, custodian):
    version = approved(sharing)
    client = signed_in(custodian)
    url = reverse("governance:version-status", args=[version.pk])

    # When the custodian suspends, then reinstates, each with a reason
    page = client.get(url).content.decode()
    client.post(url, {"action": "suspend", "reason": "An incident is being investigated."})
    suspended = GrantVersion.objects.get(pk=version.pk).status
    client.post(url, {"action": "reinstate", "reason": "The investigation found no breach."})

    # Then the version was suspended and is approved again, with both decisions kept
    assert 'value="suspend"' in page
    assert 'value="reinstate"' not in page
    assert suspended == GrantStatus.SUSPENDED
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.APPROVED
    assert list(
        SignOff.objects.filter(grant_version=version)
        .order_by("pk")
        .values_list("decision", flat=True)
    ) == [SignOffDecision.APPROVED, SignOffDecision.SUSPENDED, SignOffDecision.REINSTATED]


def test_revoking_a_version_in_force(signed_in, sharing, custodian):
    version = approved(sharing)
    client = signed_in(custodian)

    response = client.post(
        reverse("governance:version-status", args=[version.pk]),
        {"action": "revoke", "reason": "The partnership agreement has ended."},
    )
    done = client.get(response["Location"]).content.decode()

    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.REVOKED
    assert "Version 1 revoked" in done


def test_suspending_without_a_reason_is_refused(signed_in, sharing, custodian):
    version = approved(sharing)
    client = signed_in(custodian)

    response = client.post(
        reverse("governance:version-status", args=[version.pk]), {"action": "suspend"}
    )

    assert '<a href="#id_reason">Enter the reason for your decision.</a>' in (
        response.content.decode()
    )
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.APPROVED


def test_a_custodian_of_another_dataset_cannot_find_the_version(signed_in, sharing, drafter):
    # Given a custodian of a different dataset at the same agency
    version = submitted(sharing, drafted_by=drafter)
    other_dataset = dataset_with_fields(
        agency=sharing["dataset"].agency, fields={"given_name": Sensitivity.NONE}
    )
    client = signed_in(custodian_of(other_dataset))

    # When they open or decide on the version
    page = client.get(reverse("governance:sign-off-review", args=[version.pk]))
    decide = client.post(
        reverse("governance:sign-off-review", args=[version.pk]),
        {"decision": "approved", "reason": "Fine."},
    )

    # Then it is not found, and nothing changes
    assert page.status_code == 404
    assert decide.status_code == 404
    assert GrantVersion.objects.get(pk=version.pk).status == GrantStatus.AWAITING_SIGN_OFF


@pytest.mark.parametrize(
    "url_name",
    ["governance:sign-off-review", "governance:version-status", "governance:sign-off-done"],
)
def test_another_partnerships_version_is_not_found(signed_in, custodian, foreign_sharing, url_name):
    foreign = approved(foreign_sharing)
    client = signed_in(custodian)

    response = client.get(reverse(url_name, args=[foreign.pk]))

    assert response.status_code == 404
    assert foreign_sharing["dataset"].name not in response.content.decode()


def test_another_partnerships_version_cannot_be_revoked(signed_in, custodian, foreign_sharing):
    foreign = approved(foreign_sharing)
    client = signed_in(custodian)

    response = client.post(
        reverse("governance:version-status", args=[foreign.pk]),
        {"action": "revoke", "reason": "Not ours."},
    )

    assert response.status_code == 404
    assert GrantVersion.objects.get(pk=foreign.pk).status == GrantStatus.APPROVED
