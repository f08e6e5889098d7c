"""Expiry and review reminders: due 30 days before the end and on the review date, sent once,
only to the dataset's custodians, and free of citizens' data."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from agencies.models import OrganisationType, Sensitivity, User
from governance.models import GrantReminder, GrantReminderKind, RestrictionKind
from governance.reminders import grant_link, grant_reminders_send
from governance.services import custodian_assign, restriction_create
from governance.tasks import grant_reminders_task
from tests.factories import (
    AgencyFactory,
    PartnershipFactory,
    PurposeFactory,
    RoleFactory,
    UserFactory,
    custodian_of,
    dataset_with_fields,
    grant_in_force,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 6, 1)


def _at(day):
    return datetime(day.year, day.month, day.day, 2, 15, tzinfo=LONDON)


def _day(days):
    return TODAY + timedelta(days=days)


@pytest.fixture
def world():
    """Adult social care at a council, with two custodians and people who are not custodians."""
    with time_machine.travel(_at(TODAY), tick=False):
        partnership = PartnershipFactory()
        council = AgencyFactory(partnership=partnership, name="Avonshire County Council")
        dataset = dataset_with_fields(
            agency=council,
            fields={"name": Sensitivity.NONE, "care_package": Sensitivity.HEALTH},
            name="Adult social care",
        )
        other_dataset = dataset_with_fields(
            agency=council, fields={"name": Sensitivity.NONE}, name="Council tax"
        )
        inactive = custodian_of(dataset)
        User.objects.filter(pk=inactive.pk).update(is_active=False)
        return {
            "partnership": partnership,
            "council": council,
            "dataset": dataset,
            "alice": custodian_of(dataset),
            "bob": custodian_of(dataset),
            "inactive": inactive,
            "other_custodian": custodian_of(other_dataset),
            "colleague": UserFactory(agency=council, user_types=["custodian"]),
            "practitioner": UserFactory(agency=council, user_types=["practitioner"]),
            "gp": RoleFactory(partnership=partnership, name="GP"),
            "gp_practice": OrganisationType.objects.get(code="gp_practice"),
            "purpose": PurposeFactory(partnership=partnership, name="Direct care"),
        }


def _version(world, *, ends_in, review_in, dataset=None):
    with time_machine.travel(_at(TODAY), tick=False):
        return grant_in_force(
            dataset=dataset or world["dataset"],
            role=world["gp"],
            organisation_type=world["gp_practice"],
            purpose=world["purpose"],
            custodian=world["alice"] if dataset is None else custodian_of(dataset),
            field_names=["name", "care_package"],
            valid_until=_day(ends_in),
            review_date=_day(review_in),
        )


def _run_on(day):
    with time_machine.travel(_at(day), tick=False):
        return grant_reminders_task()


def test_expiry_reminder_is_sent_30_days_before_the_end(world):
    # Given a version in force ending in 100 days, reviewed in 90
    version = _version(world, ends_in=100, review_in=90)

    # When the daily task runs 30 days before the end
    sent = _run_on(_day(70))

    # Then the dataset's custodians are told when it ends, what it is, and where to see it
    assert sent == 1
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.subject == (
        "Sharing grant ends on 9 September 2026: Adult social care with GP at GP practice for "
        "Direct care"
    )
    assert "ends on 9 September 2026, in 30 days" in message.body
    assert (
        "Avonshire County Council shares Adult social care records with GPs at GP practices for "
        "Direct care, at summary level: name, care package."
    ) in message.body
    assert grant_link(version=version) in message.body
    assert GrantReminder.objects.get().kind == GrantReminderKind.EXPIRY
    assert GrantReminder.objects.get().sent_on == _day(70)


def test_no_expiry_reminder_31_days_before_the_end(world):
    _version(world, ends_in=100, review_in=90)

    sent = _run_on(_day(69))

    assert sent == 0
    assert mail.outbox == []
    assert not GrantReminder.objects.exists()


def test_review_reminder_is_sent_on_the_review_date(world):
    # Given a version in force due for review in 40 days, ending in 200
    _version(world, ends_in=200, review_in=40)

    # When the daily task runs the day before and on the review date
    before = _run_on(_day(39))
    on_the_day = _run_on(_day(40))

    # Then the custodians are told on the day, and only then
    assert before == 0
    assert on_the_day == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[0].subject == (
        "Sharing grant due for review: Adult social care with GP at GP practice for Direct care"
    )
    assert "is due for review today, 11 July 2026" in mail.outbox[0].body
    assert GrantReminder.objects.get().kind == GrantReminderKind.REVIEW


def test_each_reminder_is_sent_once(world):
    # Given a version in force ending in 100 days, reviewed in 90
    _version(world, ends_in=100, review_in=90)

    # When the task runs twice on each reminder's day and on the days after
    runs = [_run_on(_day(day)) for day in (70, 70, 71, 90, 90, 91, 100)]

    # Then each reminder went once to each custodian
    assert runs == [1, 0, 0, 1, 0, 0, 0]
    assert len(mail.outbox) == 4
    assert sorted(GrantReminder.objects.values_list("kind", flat=True)) == ["expiry", "review"]


def test_missed_day_is_caught_up_the_next_day(world):
    _version(world, ends_in=100, review_in=90)

    sent = _run_on(_day(72))

    assert sent == 1
    assert "ends on 9 September 2026, in 28 days" in mail.outbox[0].body


def test_reminders_go_only_to_active_custodians_of_that_dataset(world):
    # Given custodians of the dataset, an inactive one, another dataset's custodian, a custodian
    # colleague without the permission and a practitioner
    _version(world, ends_in=100, review_in=90)

    # When the expiry reminder is sent
    _run_on(_day(70))

    # Then exactly the dataset's active custodians receive it, one message each
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        [world["alice"].email, world["bob"].email]
    )
    assert all(len(message.to) == 1 for message in mail.outbox)
    assert all(not message.cc and not message.bcc for message in mail.outbox)


def test_reminder_waits_until_the_dataset_has_a_custodian(world):
    # Given a version in force of a dataset whose only custodian has left
    dataset = dataset_with_fields(
        agency=world["council"], fields={"name": Sensitivity.NONE, "care_package": "health"}
    )
    version = _version(world, ends_in=100, review_in=90, dataset=dataset)
    User.objects.filter(
        agency=world["council"], pk__in=version.sign_offs.values("custodian")
    ).update(is_active=False)

    # When the task runs before and after a new custodian is assigned
    before = _run_on(_day(70))
    newcomer = UserFactory(agency=world["council"], user_types=["custodian"])
    custodian_assign(dataset=dataset, user=newcomer)
    after = _run_on(_day(71))

    # Then the reminder is sent once there is someone to send it to
    assert before == 0
    assert after == 1
    assert [message.to for message in mail.outbox] == [[newcomer.email]]


def test_reminders_hold_no_citizen_data(world):
    # Given restricted records of the dataset, with a person's name in the reason
    _version(world, ends_in=100, review_in=90)
    restriction_create(
        user=world["alice"],
        dataset=world["dataset"],
        source_key="ASC-0042731",
        kind=RestrictionKind.OBJECTION,
        reason="Jane Citizen of 1 Acacia Avenue asked us not to share her record.",
    )

    # When both reminders are sent
    _run_on(_day(70))
    _run_on(_day(90))

    # Then no message carries anything from any record or person
    text = "\n".join(f"{message.subject}\n{message.body}" for message in mail.outbox)
    assert len(mail.outbox) == 4
    for personal in ("ASC-0042731", "Jane", "Citizen", "Acacia"):
        assert personal not in text


def test_service_sends_what_is_due_on_the_day_given(world):
    _version(world, ends_in=100, review_in=90)

    reminders = grant_reminders_send(today=_day(95))

    assert sorted(reminder.kind for reminder in reminders) == ["expiry", "review"]
    assert len(mail.outbox) == 4
