"""The alert rules are pure: plain data in, a yes or no out; no database."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from audit import rules
from audit.rules import Name, WorkingHours

LONDON = ZoneInfo("Europe/London")
HOURS = WorkingHours(start_hour=7, end_hour=19)


def test_a_record_with_the_users_own_name_is_a_self_look_up():
    assert rules.self_lookup(user=Name("Grace", "Hopper"), records=[Name("GRACE ann", "hopper")])


def test_another_given_name_is_not_a_self_look_up():
    assert not rules.self_lookup(user=Name("Grace", "Hopper"), records=[Name("Anne", "Hopper")])


def test_the_same_surname_alone_is_noticed():
    assert rules.same_surname(user=Name("Grace", "Hopper"), records=[Name("Anne", "Hopper")])


def test_the_full_name_is_a_self_look_up_not_a_same_surname():
    assert not rules.same_surname(user=Name("Grace", "Hopper"), records=[Name("Grace", "Hopper")])


def test_punctuation_and_accents_do_not_hide_a_surname():
    assert rules.same_surname(user=Name("Sean", "O'Brien"), records=[Name("Aoife", "OBRIEN")])


def test_a_record_with_a_colleagues_name_is_noticed():
    staff = [(1, Name("Grace", "Hopper")), (2, Name("Alan", "Turing"))]

    assert rules.colleague(user_id=1, staff=staff, records=[Name("Alan", "Turing")])


def test_the_user_is_not_their_own_colleague():
    staff = [(1, Name("Grace", "Hopper"))]

    assert not rules.colleague(user_id=1, staff=staff, records=[Name("Grace", "Hopper")])


def test_a_flagged_person_is_sensitive():
    assert rules.sensitive(flagged=True, sealed_records=0)


def test_a_sealed_record_makes_a_person_sensitive():
    assert rules.sensitive(flagged=False, sealed_records=1)


def test_an_unmarked_person_is_not_sensitive():
    assert not rules.sensitive(flagged=False, sealed_records=0)


def test_far_more_views_than_usual_and_than_peers_is_a_spike():
    assert rules.volume_spike(today=40, own_daily=[5] * 28, peers_today=[10, 12], minimum=20)


def test_busy_peers_mean_no_spike():
    assert not rules.volume_spike(today=40, own_daily=[5] * 28, peers_today=[45, 50], minimum=20)


def test_a_handful_of_views_is_never_a_spike():
    assert not rules.volume_spike(today=5, own_daily=[0] * 28, peers_today=[], minimum=20)


def test_the_nearest_rank_95th_percentile():
    assert rules.percentile(list(range(1, 101)), 0.95) == 95.0


def test_an_evening_use_is_out_of_hours():
    assert rules.out_of_hours(local=datetime(2025, 3, 5, 19, 30, tzinfo=LONDON), hours=HOURS)


def test_an_early_morning_use_is_out_of_hours():
    assert rules.out_of_hours(local=datetime(2025, 3, 5, 6, 59, tzinfo=LONDON), hours=HOURS)


def test_a_weekday_use_in_hours_is_not_out_of_hours():
    assert not rules.out_of_hours(local=datetime(2025, 3, 5, 7, 0, tzinfo=LONDON), hours=HOURS)


def test_a_saturday_use_is_out_of_hours():
    assert rules.out_of_hours(local=datetime(2025, 3, 8, 11, 0, tzinfo=LONDON), hours=HOURS)


def test_saturdays_can_be_working_days():
    hours = WorkingHours(start_hour=7, end_hour=19, weekends=True)

    assert not rules.out_of_hours(local=datetime(2025, 3, 8, 11, 0, tzinfo=LONDON), hours=hours)


def test_searches_that_found_people_with_nobody_viewed_are_fishing():
    assert rules.fishing(searches_with_results=10, persons_viewed=0, threshold=10)


def test_a_view_after_the_searches_is_not_fishing():
    assert not rules.fishing(searches_with_results=10, persons_viewed=1, threshold=10)


def test_repeated_denials_at_the_threshold_are_noticed():
    assert rules.repeated_denials(denials=5, threshold=5)


def test_fewer_denials_are_not():
    assert not rules.repeated_denials(denials=4, threshold=5)
