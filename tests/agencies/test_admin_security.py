"""Partnership admins cannot raise privileges; the admin signs in through Single View."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from agencies.models import ExtractRun, ExtractRunStatus, User
from tests.agencies.test_extract_support import corpus_dataset, csv_bytes, partner_it, row, send
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_partnership_admin_cannot_make_anyone_a_superuser(signed_in, agency):
    # Given a partnership admin and a colleague
    admin_user = UserFactory(agency=agency, user_types=["partnership_admin"])
    colleague = UserFactory(agency=agency)
    client = signed_in(admin_user)
    url = reverse("admin:agencies_user_change", args=[colleague.pk])

    # When they open the colleague's page
    page = client.get(url).content.decode()

    # Then the superuser and staff flags are not editable there
    assert page.count('name="is_superuser"') == 0
    assert page.count('name="is_staff"') == 0
    assert page.count('name="user_permissions"') == 0
    assert not User.objects.get(pk=colleague.pk).is_superuser


def test_admin_login_goes_through_the_single_view_sign_in(client):
    response = client.get("/django-admin/login/?next=/django-admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))


def test_createsuperuser_accepts_an_agency_id(agency):
    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@example.org",
        agency=agency.pk,
        verbosity=0,
    )

    assert User.objects.get(username="root").is_superuser


def test_sign_in_network_check_uses_the_forwarded_client_address(client, partnership, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    agency = AgencyFactory(partnership=partnership, allowed_networks=["10.20.0.0/16"])
    user = UserFactory(agency=agency)

    response = client.post(
        reverse("signin"),
        {"username": user.username, "password": "correct horse battery staple"},
        REMOTE_ADDR="192.0.2.1",
        HTTP_X_FORWARDED_FOR="10.20.3.4, 192.0.2.1",
    )

    assert response.status_code == 302


# Nightly extracts in the admin: read-only, own partnership only ---------------------------------


def _published_run(agency):
    """A run of a two-row file, one row with a problem: an extract, its run, a problem and the
    dataset's publication."""
    return send(
        user=partner_it(agency),
        dataset=corpus_dataset(agency=agency),
        data=csv_bytes(row("A1"), row("A2", postcode="bad")),
    )


@pytest.fixture
def two_partnerships_runs(agency, other_partnership, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EXTRACT_ERROR_THRESHOLD = 0.5
    return _published_run(agency), _published_run(AgencyFactory(partnership=other_partnership))


def test_partnership_admin_lists_only_their_own_partnerships_extract_runs(
    signed_in, agency, two_partnerships_runs
):
    # Given a run in the admin's partnership and one in another partnership
    own, other = two_partnerships_runs
    client = signed_in(UserFactory(agency=agency, user_types=["partnership_admin"]))

    # When they list extract runs, and open the other partnership's run
    listing = client.get(reverse("admin:agencies_extractrun_changelist"))
    opened = client.get(reverse("admin:agencies_extractrun_change", args=[other.pk]))

    # Then only their own run is listed, and the other one is not shown (back to the index)
    assert [run.pk for run in listing.context["cl"].result_list] == [own.pk]
    assert opened.status_code == 302
    assert opened["Location"] == reverse("admin:index")


@pytest.mark.parametrize(
    ("url_name", "partnership_of"),
    [
        ("admin:agencies_extract_changelist", lambda extract: extract.dataset.agency.partnership),
        (
            "admin:agencies_extractproblem_changelist",
            lambda problem: problem.run.extract.dataset.agency.partnership,
        ),
        (
            "admin:agencies_datasetpublication_changelist",
            lambda publication: publication.dataset.agency.partnership,
        ),
    ],
)
def test_partnership_admin_lists_only_their_own_extracts_problems_and_publications(
    signed_in, agency, two_partnerships_runs, url_name, partnership_of
):
    client = signed_in(UserFactory(agency=agency, user_types=["partnership_admin"]))

    listed = list(client.get(reverse(url_name)).context["cl"].result_list)

    assert listed
    assert {partnership_of(item) for item in listed} == {agency.partnership}


def test_extract_runs_are_read_only_in_the_admin(signed_in, agency, two_partnerships_runs):
    # Given the admin's own run
    own, _ = two_partnerships_runs
    client = signed_in(UserFactory(agency=agency, user_types=["partnership_admin"]))
    url = reverse("admin:agencies_extractrun_change", args=[own.pk])

    # When they open it and try to change it
    page = client.get(url)
    posted = client.post(url, {"status": "failed"})

    # Then it is shown without a save button, and the change is refused
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    assert ExtractRun.objects.get(pk=own.pk).status == ExtractRunStatus.PUBLISHED
