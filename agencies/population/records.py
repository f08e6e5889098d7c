"""What each dataset holds about a person: who appears in it, under which key, with what payload.

Whether a person appears in a dataset depends on their age, sex, household role or hospital
catchment through a relative weight; the weights are scaled so that, across the population, the
fraction appearing matches the dataset's `coverage`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from agencies.population.names import STREET_STEMS, TOWNS
from agencies.population.people import (
    REFERENCE_DATE,
    SURNAMES,
    Population,
    TruePerson,
    WeightedChoice,
    given_name_for,
)
from agencies.population.permutation import KeyedPermutation
from agencies.population.specs import (
    ADULT_SOCIAL_CARE_TEAMS,
    BOOLEAN_FALSE,
    BOOLEAN_TRUE,
    CARE_PACKAGES,
    CHILDRENS_SOCIAL_CARE_STATUSES,
    DATASETS,
    INCIDENT_CATEGORIES,
    PRIMARY_SUPPORT_REASONS,
    DatasetSpec,
)

_REFERENCE_ORDINAL = REFERENCE_DATE.toordinal()
_COUNCIL_TAX_START = date(1993, 4, 1).toordinal()


# ---------------------------------------------------------------------------------------------
# Who appears where


def _band(age: int, bands: tuple[tuple[int, float], ...]) -> float:
    """The weight of the first band whose upper age (inclusive) is at least `age`."""
    for upper, weight in bands:
        if age <= upper:
            return weight
    return 0.0


_ROLE_LIABILITY = {
    "head": 1.0,
    "partner": 0.6,
    "housemate": 0.5,
    "adult_child": 0.03,
    "grandparent": 0.05,
}
_LOCALITY = {"NGH": "North", "RGH": "West", "EDH": "East"}


def _acute_weight(trust_code: str) -> Callable[[TruePerson], float]:
    def weight(person: TruePerson) -> float:
        catchment = 2.2 if person.trust_code == trust_code else 0.4
        return catchment * _band(
            person.age, ((4, 1.3), (17, 0.7), (64, 0.85), (74, 1.4), (200, 2.0))
        )

    return weight


_WEIGHTS: dict[str, Callable[[TruePerson], float]] = {
    "adult_social_care": lambda p: _band(
        p.age, ((17, 0.0), (64, 0.4), (74, 1.5), (84, 4.0), (200, 9.0))
    ),
    "childrens_social_care": lambda p: _band(p.age, ((4, 1.0), (9, 0.9), (15, 1.1), (17, 1.0))),
    "council_tax": lambda p: _ROLE_LIABILITY.get(p.household_role, 0.0) if p.age >= 18 else 0.0,
    "electoral_register": lambda p: _band(p.age, ((17, 0.0), (24, 0.75), (34, 0.85), (200, 1.0))),
    "police_person_index": lambda p: (
        _band(p.age, ((9, 0.0), (17, 0.8), (24, 2.2), (39, 1.8), (59, 0.9), (200, 0.35)))
        * (1.5 if p.sex == "M" else 0.6)
    ),
    "gp_registrations": lambda p: 1.0,
    "safe_and_well": lambda p: _band(p.age, ((17, 0.3), (64, 0.5), (79, 2.5), (200, 5.0))),
    "ambulance_incidents": lambda p: _band(
        p.age, ((4, 0.8), (17, 0.4), (64, 0.7), (74, 1.6), (84, 2.8), (200, 4.5))
    ),
    "mental_health_caseload": lambda p: _band(p.age, ((13, 0.0), (17, 0.6), (64, 1.2), (200, 0.8))),
    "ngh_attendances": _acute_weight("NGH"),
    "rgh_attendances": _acute_weight("RGH"),
    "edh_attendances": _acute_weight("EDH"),
}


def _eligible(dataset: DatasetSpec, age: int) -> bool:
    return (dataset.min_age is None or age >= dataset.min_age) and (
        dataset.max_age is None or age <= dataset.max_age
    )


@cache
def _reference_people() -> tuple[TruePerson, ...]:
    """A fixed sample population the inclusion weights are scaled against."""
    population = Population(people=10_000, seed=0)
    return tuple(
        person
        for chunk in range(population.chunk_count)
        for person in population.chunk_people(chunk=chunk, rng=population.chunk_rng(chunk))
    )


@cache
def _weight_scale(code: str) -> float:
    """coverage / mean weight: multiplying a person's weight by it gives their probability."""
    dataset = next(dataset for dataset in DATASETS if dataset.code == code)
    people = _reference_people()
    weight = _WEIGHTS[code]
    mean = sum(weight(person) for person in people if _eligible(dataset, person.age)) / len(people)
    return dataset.coverage / mean


def inclusion_probability(*, dataset: DatasetSpec, person: TruePerson) -> float:
    """The chance this person appears in this dataset."""
    if not _eligible(dataset, person.age):
        return 0.0
    return min(1.0, _WEIGHTS[dataset.code](person) * _weight_scale(dataset.code))


_PROFILES: dict[tuple[int, str, str, str], tuple[float, ...]] = {}


def inclusion_probabilities(person: TruePerson) -> tuple[float, ...]:
    """The chance of appearing in each of DATASETS, in order.

    The weights depend only on age, sex, household role and hospital catchment, so the answer is
    remembered for each combination of those (a few thousand at most).
    """
    profile = (person.age, person.sex, person.household_role, person.trust_code)
    probabilities = _PROFILES.get(profile)
    if probabilities is None:
        probabilities = tuple(
            inclusion_probability(dataset=dataset, person=person) for dataset in DATASETS
        )
        _PROFILES[profile] = probabilities
    return probabilities


# ---------------------------------------------------------------------------------------------
# Record keys


@dataclass(frozen=True, slots=True)
class _KeyFormat:
    prefix: str
    digits: int


_KEY_FORMATS: dict[str, _KeyFormat] = {
    "adult_social_care": _KeyFormat("ASC", 7),
    "childrens_social_care": _KeyFormat("CSC", 7),
    "council_tax": _KeyFormat("CTP", 8),
    "electoral_register": _KeyFormat("", 7),  # polling district, slash, elector number
    "police_person_index": _KeyFormat("AVP", 8),
    "gp_registrations": _KeyFormat("GPR", 8),
    "safe_and_well": _KeyFormat("SW", 7),
    "ambulance_incidents": _KeyFormat("AAS", 8),
    "mental_health_caseload": _KeyFormat("7", 7),
    "ngh_attendances": _KeyFormat("N", 7),
    "rgh_attendances": _KeyFormat("RGH", 7),
    "edh_attendances": _KeyFormat("EDH", 7),
}


class SourceKeys:
    """Unique, agency-style record keys: record ordinal -> keyed permutation -> formatted."""

    def __init__(self, *, dataset: DatasetSpec, seed: int) -> None:
        self.format = _KEY_FORMATS[dataset.code]
        self.code = dataset.code
        self._permutation = KeyedPermutation(
            size=10**self.format.digits, key=f"source-key:{seed}:{dataset.code}"
        )

    def key(self, *, ordinal: int, payload: list[str]) -> str:
        """The key of the record with this ordinal in the dataset (unique per ordinal).

        Electoral register keys are the polling district (from the payload) and elector number.
        """
        number = f"{self._permutation(ordinal):0{self.format.digits}d}"
        if self.code == "electoral_register":
            return f"{payload[0]}/{number}"
        return f"{self.format.prefix}{number}"


_TOWN_BY_OUTWARD = {outward: town for town in TOWNS for outward, _ in town.districts}


def polling_district(postcode: str) -> str:
    """The polling district of an address: its town's code and a number from its postcode."""
    town = _TOWN_BY_OUTWARD[postcode.split(" ")[0]]
    return f"{town.code}{1 + (ord(postcode[-1]) + ord(postcode[-2])) % 6}"


# ---------------------------------------------------------------------------------------------
# Payloads


def _date_between(rng: random.Random, start: int, end: int) -> str:
    start = min(start, end)
    return date.fromordinal(start + int(rng.random() * (end - start + 1))).isoformat()


def _within_days(rng: random.Random, days: int, *, not_before: date) -> str:
    return _date_between(
        rng, max(not_before.toordinal(), _REFERENCE_ORDINAL - days), _REFERENCE_ORDINAL
    )


def _yes(rng: random.Random, probability: float) -> str:
    return BOOLEAN_TRUE if rng.random() < probability else BOOLEAN_FALSE


def _staff_name(rng: random.Random) -> str:
    sex = "F" if rng.random() < 0.7 else "M"
    birth_year = REFERENCE_DATE.year - rng.randint(24, 62)
    return f"{given_name_for(rng=rng, sex=sex, birth_year=birth_year)} {SURNAMES.pick(rng)}"


def _years_ago(years: int) -> int:
    return (REFERENCE_DATE - timedelta(days=round(365.25 * years))).toordinal()


def _adulthood(person: TruePerson) -> int:
    return person.date_of_birth.toordinal() + round(365.25 * 18)


@cache
def _practices() -> dict[str, tuple[tuple[str, str], ...]]:
    """GP practices by town code: (name, practice code)."""
    rng = random.Random("practices")  # noqa: S311 - synthetic data, not security
    by_town: dict[str, tuple[tuple[str, str], ...]] = {}
    number = 1
    for town in TOWNS:
        practices = []
        for index in range(len(town.districts) + 1):
            stem = rng.choice(STREET_STEMS)
            name = (
                f"{town.name} Medical Centre",
                f"{stem} Surgery",
                f"The {stem} Practice",
                f"{town.name} Health Centre",
                f"{stem} House Surgery",
            )[index % 5]
            practices.append((name, f"Y9{number:04d}"))
            number += 1
        by_town[town.code] = tuple(practices)
    return by_town


_CARE_PACKAGES = WeightedChoice(CARE_PACKAGES, (30, 12, 8, 14, 8, 8, 6, 6, 8))
_CSC_STATUSES = WeightedChoice(CHILDRENS_SOCIAL_CARE_STATUSES, (60, 18, 22))
_INCIDENTS = WeightedChoice(INCIDENT_CATEGORIES, (10, 45, 35, 10))
_WARNING_MARKERS = (
    "Violence",
    "Weapons",
    "Drugs",
    "Mental health",
    "Self harm",
    "Suicidal",
    "Domestic abuse",
    "Alleged firearms",
    "Escaper",
    "Ailment",
)
_ADULT_SPECIALTIES = WeightedChoice(
    (
        "General Medicine",
        "General Surgery",
        "Trauma and Orthopaedics",
        "Cardiology",
        "Respiratory Medicine",
        "Gastroenterology",
        "Ophthalmology",
        "Ear, Nose and Throat",
        "Dermatology",
        "Urology",
        "Oncology",
        "Gynaecology",
    ),
    (18, 12, 14, 9, 8, 7, 8, 6, 5, 5, 5, 3),
)


def _duty_phone(team_index: int) -> str:
    # 01632 960000-960999 is Ofcom's range for fiction: never a real line.
    return f"01632 960{100 + 7 * team_index:03d}"


def _adult_social_care(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    if person.age >= 65:
        reason = rng.choice(PRIMARY_SUPPORT_REASONS[:4] * 3 + PRIMARY_SUPPORT_REASONS[4:])
    else:
        reason = rng.choice(PRIMARY_SUPPORT_REASONS[1:] + PRIMARY_SUPPORT_REASONS[4:6] * 2)
    if reason == "Learning disability support":
        team = "Learning Disability Team"
    elif reason == "Sensory support":
        team = "Sensory Impairment Team"
    elif rng.random() < 0.2:
        team = "Hospital Discharge Team"
    else:
        team = f"{_LOCALITY[person.trust_code] if rng.random() < 0.85 else 'South'} Locality Team"
    return [
        _CARE_PACKAGES.pick(rng),
        reason,
        team,
        _staff_name(rng) if rng.random() < 0.85 else "",
        _duty_phone(ADULT_SOCIAL_CARE_TEAMS.index(team)),
        _yes(rng, 0.65 if person.age >= 75 else 0.4),
        _within_days(rng, 540, not_before=person.date_of_birth),
    ]


def _childrens_social_care(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    return [
        _CSC_STATUSES.pick(rng),
        _staff_name(rng) if rng.random() < 0.92 else "",
        _duty_phone(10 + ("NGH", "RGH", "EDH").index(person.trust_code)),
    ]


def _council_tax(
    person: TruePerson, rng: random.Random, context: _Context, moved: bool
) -> list[str]:
    household = int(person.household_key[1:])
    account = f"{context.accounts(household):08d}"
    single = person.household_adults == 1
    if rng.random() < 0.03:
        single = not single
    earliest = max(_COUNCIL_TAX_START, _adulthood(person))
    if person.previous_address and not moved:
        earliest = max(earliest, _years_ago(4))
    return [
        f"CT{account}",
        _yes(rng, 1.0 if single else 0.0),
        _date_between(rng, earliest, _REFERENCE_ORDINAL),
    ]


def _electoral_register(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    earliest = _adulthood(person)
    if person.previous_address and not moved:
        earliest = max(earliest, _years_ago(4))
    return [
        polling_district(person.previous_postcode if moved else person.postcode),
        _date_between(rng, max(earliest, _years_ago(40)), _REFERENCE_ORDINAL),
    ]


def _police_person_index(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    markers = ""
    if rng.random() < 0.22:
        markers = "; ".join(rng.sample(_WARNING_MARKERS, rng.choice((1, 1, 1, 2, 2, 3))))
    return [
        _yes(rng, 0.04 if person.age >= 18 else 0.0),
        markers,
        _within_days(rng, 3650, not_before=person.date_of_birth + timedelta(days=3650)),
    ]


def _gp_registrations(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    name, code = rng.choice(_practices()[person.town_code])
    earliest = max(person.date_of_birth.toordinal(), _years_ago(35))
    if person.previous_address and not moved:
        earliest = max(earliest, _years_ago(4))
    return [name, code, _date_between(rng, earliest, _REFERENCE_ORDINAL)]


def _safe_and_well(person: TruePerson, rng: random.Random, _: _Context, moved: bool) -> list[str]:
    base = 2 if person.age < 65 else 4 if person.age < 80 else 6
    return [
        _within_days(rng, 1825, not_before=person.date_of_birth),
        _yes(rng, 0.88),
        str(min(10, base + rng.randint(0, 4))),
    ]


def _ambulance_incidents(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    return [_within_days(rng, 1095, not_before=person.date_of_birth), _INCIDENTS.pick(rng)]


def _mental_health_caseload(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    roll = rng.random()
    if person.age >= 65:
        team = "Older Adults Community Mental Health Team"
    elif roll < 0.08:
        team = "Crisis Resolution and Home Treatment"
    elif roll < 0.13:
        team = "Assertive Outreach"
    elif roll < 0.3 and person.age <= 35:
        team = "Early Intervention in Psychosis"
    elif roll < 0.36 and person.sex == "F" and 18 <= person.age <= 45:
        team = "Perinatal Mental Health"
    else:
        locality = {"NGH": "North", "RGH": "South", "EDH": "East"}[person.trust_code]
        team = f"Community Mental Health Team {locality}"
    return [
        _staff_name(rng) if rng.random() < 0.9 else "",
        team,
        _yes(rng, 0.45),
        _yes(rng, 0.3),
    ]


def _acute_attendances(
    person: TruePerson, rng: random.Random, _: _Context, moved: bool
) -> list[str]:
    roll = rng.random()
    if roll < 0.45:
        kind, specialty = "ED", "Emergency Medicine"
    else:
        kind = "Outpatient" if roll < 0.85 else "Inpatient"
        if person.age < 16:
            specialty = "Paediatrics"
        elif person.sex == "F" and 18 <= person.age <= 44 and rng.random() < 0.25:
            specialty = "Obstetrics"
        elif person.age >= 75 and rng.random() < 0.35:
            specialty = "Geriatric Medicine"
        else:
            specialty = _ADULT_SPECIALTIES.pick(rng)
    days = 1825 if rng.random() < 0.5 else 365
    return [_within_days(rng, days, not_before=person.date_of_birth), kind, specialty]


class _Context:
    """Per-population helpers the payloads need."""

    def __init__(self, *, people: int, seed: int) -> None:
        self.accounts = KeyedPermutation(size=max(people, 1000), key=f"council-tax:{seed}")


# (person, their random stream, population helpers, whether the record holds the old address)
PayloadBuilder = Callable[[TruePerson, random.Random, _Context, bool], list[str]]

_PAYLOADS: dict[str, PayloadBuilder] = {
    "adult_social_care": _adult_social_care,
    "childrens_social_care": _childrens_social_care,
    "council_tax": _council_tax,
    "electoral_register": _electoral_register,
    "police_person_index": _police_person_index,
    "gp_registrations": _gp_registrations,
    "safe_and_well": _safe_and_well,
    "ambulance_incidents": _ambulance_incidents,
    "mental_health_caseload": _mental_health_caseload,
    "ngh_attendances": _acute_attendances,
    "rgh_attendances": _acute_attendances,
    "edh_attendances": _acute_attendances,
}


def payload_context(*, people: int, seed: int) -> _Context:
    return _Context(people=people, seed=seed)


def payload_builder(dataset: DatasetSpec) -> PayloadBuilder:
    return _PAYLOADS[dataset.code]
