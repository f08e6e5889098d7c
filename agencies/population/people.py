"""The true population: households of people at addresses in the fictional county of Avonshire.

People are generated in chunks of `CHUNK_SIZE`, each from its own seeded random stream, so a
chunk can be produced anywhere (another process included) and the result depends only on the
population size, the seed and the chunk's number. NHS numbers and addresses come from keyed
permutations of a person's global index, so chunks never collide.

Hard negatives are planted on purpose: twins (same surname, date of birth and address), a parent
and child with the same given and family name (senior and junior), and strangers with the same
name and year of birth (and, rarely, the same full date of birth) living elsewhere.
"""

from __future__ import annotations

import math
import random
from bisect import bisect, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from agencies.population.names import (
    BUILDING_SUFFIXES,
    FEMALE_GIVEN_NAMES,
    GENERATION_STARTS,
    INWARD_LETTERS,
    MALE_GIVEN_NAMES,
    STREET_STEMS,
    STREET_SUFFIXES,
    SURNAME_TIERS,
    TOWNS,
    Town,
)
from agencies.population.nhs_numbers import TEST_RANGE_CAPACITY, nhs_test_range
from agencies.population.permutation import KeyedPermutation

# The date the extracts describe: ages and "last seen" dates are relative to it.
REFERENCE_DATE = date(2025, 3, 31)
CHUNK_SIZE = 10_000
MAX_PEOPLE = 9_000_000


@dataclass(frozen=True, slots=True)
class TruePerson:
    """One real (synthetic) person, as the ground truth knows them.

    `previous_address` and `previous_postcode` are where their household lived before moving
    (blank if it has not moved); `previous_family_name` is a birth or former married name.
    `nhs_number` is blank only when the population is larger than the 999 test range.
    """

    person_key: str
    household_key: str
    given_name: str
    middle_name: str
    family_name: str
    previous_family_name: str
    date_of_birth: date
    age: int
    sex: str
    nhs_number: str
    address: str
    postcode: str
    previous_address: str
    previous_postcode: str
    town_code: str
    trust_code: str
    household_role: str
    household_adults: int

    def as_row(self) -> dict[str, str]:
        """The person as a row of people.csv."""
        return dict(zip(PEOPLE_COLUMNS, self.as_values(), strict=True))

    def as_values(self) -> tuple[str, ...]:
        return (
            self.person_key,
            self.given_name,
            self.family_name,
            self.date_of_birth.isoformat(),
            self.sex,
            self.postcode,
            self.address,
            self.nhs_number,
            self.middle_name,
            self.previous_family_name,
            self.previous_postcode,
            self.previous_address,
            self.household_key,
        )


PEOPLE_COLUMNS: tuple[str, ...] = (
    "person_key",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
    "middle_name",
    "previous_family_name",
    "previous_postcode",
    "previous_address",
    "household_key",
)


class WeightedChoice:
    """Fast weighted choice from a fixed list (cumulative weights and bisect)."""

    __slots__ = ("_cumulative", "_total", "values")

    def __init__(self, values: Sequence[str], weights: Sequence[float]) -> None:
        self.values = tuple(values)
        self._cumulative = tuple(accumulate(weights))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> str:
        return self.values[bisect(self._cumulative, rng.random() * self._total)]


def _ranked(names: Sequence[str]) -> WeightedChoice:
    """Most popular first: weight falls off with rank (a gentle Zipf curve)."""
    return WeightedChoice(names, [1.0 / (rank + 4) for rank in range(len(names))])


_MALE_BY_GENERATION = tuple(_ranked(names) for names in MALE_GIVEN_NAMES)
_FEMALE_BY_GENERATION = tuple(_ranked(names) for names in FEMALE_GIVEN_NAMES)
SURNAMES = WeightedChoice(
    [name for _, names in SURNAME_TIERS for name in names],
    [weight for weight, names in SURNAME_TIERS for _ in names],
)
_SUFFIXES = WeightedChoice(
    [suffix for suffix, _, _ in STREET_SUFFIXES], [weight for _, weight, _ in STREET_SUFFIXES]
)


def given_name_for(*, rng: random.Random, sex: str, birth_year: int) -> str:
    """A given name typical of the person's sex and generation (with some blur at the edges)."""
    generation = bisect_right(GENERATION_STARTS, birth_year + rng.randint(-6, 6))
    pools = _MALE_BY_GENERATION if sex == "M" else _FEMALE_BY_GENERATION
    return pools[generation].pick(rng)


# ---------------------------------------------------------------------------------------------
# Geography


_LOCALITY_SUFFIXES = ("Park", "Green", "End", "Vale", "Hill", "Fields", "Common")


@dataclass(frozen=True, slots=True)
class _Street:
    name: str
    town: Town
    first_slot: int
    houses: int
    postcodes: tuple[str, ...]
    building: str  # a block of flats on the street ("Kestrel Court, 4"), or "" for houses


class Geography:
    """Streets in every postcode district, with `slots` addresses in all, built from a seed.

    Address slot numbers run street by street; `address(slot)` gives the address line, the
    postcode and the town. Same size and seed, same geography.
    """

    def __init__(self, *, slots: int, seed: int) -> None:
        rng = random.Random(f"geography:{seed}")  # noqa: S311 - synthetic data, not security
        districts = [
            (town, outward, weight) for town in TOWNS for outward, weight in town.districts
        ]
        total_weight = sum(weight for _, _, weight in districts)
        streets: list[_Street] = []
        used_postcodes: set[str] = set()
        names_by_town: dict[str, set[str]] = {}
        next_slot = 0
        for index, (town, outward, weight) in enumerate(districts):
            if index == len(districts) - 1:
                target = slots - next_slot
            else:
                target = max(1, math.ceil(slots * weight / total_weight))
                target = min(target, slots - next_slot - (len(districts) - index - 1))
            names_used = names_by_town.setdefault(town.code, set())
            while target > 0:
                houses = min(target, rng.randint(12, 160))
                target -= houses
                name = self._street_name(rng=rng, used=names_used)
                building = ""
                if rng.random() < 0.12:
                    stem = rng.choice(STREET_STEMS)
                    building = f"{stem} {rng.choice(BUILDING_SUFFIXES)}, {rng.randint(1, 80)}"
                per_postcode = rng.randint(12, 30)
                postcodes = tuple(
                    self._postcode(rng=rng, outward=outward, used=used_postcodes)
                    for _ in range(max(1, math.ceil(houses / per_postcode)))
                )
                streets.append(
                    _Street(
                        name=name,
                        town=town,
                        first_slot=next_slot,
                        houses=houses,
                        postcodes=postcodes,
                        building=building,
                    )
                )
                next_slot += houses
        self.slots = slots
        self._streets = tuple(streets)
        self._starts = tuple(street.first_slot for street in streets)

    @staticmethod
    def _street_name(*, rng: random.Random, used: set[str]) -> str:
        """A street name not yet used in the town; in a big town, with a locality if need be."""
        name = ""
        for attempt in range(40):
            stem = rng.choice(STREET_STEMS)
            suffix = "Street" if stem == "High" else _SUFFIXES.pick(rng)
            name = f"{stem} {suffix}"
            if attempt >= 20:
                name = f"{name}, {rng.choice(STREET_STEMS)} {rng.choice(_LOCALITY_SUFFIXES)}"
            if name not in used:
                break
        used.add(name)
        return name

    @staticmethod
    def _postcode(*, rng: random.Random, outward: str, used: set[str]) -> str:
        postcode = ""
        for _ in range(50):
            postcode = (
                f"{outward} {rng.randint(0, 9)}"
                f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
            )
            if postcode not in used:
                break
        used.add(postcode)
        return postcode

    @property
    def street_count(self) -> int:
        return len(self._streets)

    def address(self, slot: int) -> tuple[str, str, Town]:
        street = self._streets[bisect_right(self._starts, slot) - 1]
        number = slot - street.first_slot + 1
        postcode = street.postcodes[(number - 1) * len(street.postcodes) // street.houses]
        town = street.town
        if street.building:
            line = f"Flat {number}, {street.building} {street.name}, {town.name}"
        else:
            line = f"{number} {street.name}, {town.name}"
        return line, postcode, town


# ---------------------------------------------------------------------------------------------
# Households


@dataclass(slots=True)
class _Member:
    given_name: str
    middle_name: str
    family_name: str
    previous_family_name: str
    birth_ordinal: int
    sex: str
    role: str


_HOUSEHOLD_TYPES = WeightedChoice(
    (
        "single",
        "couple",
        "couple_children",
        "couple_adult_children",
        "lone_parent",
        "lone_parent_adult_children",
        "sharers",
        "three_generations",
    ),
    (30, 27, 19, 6, 7, 3, 4, 3),
)
_ADULT_ROLES = frozenset({"head", "partner", "adult_child", "housemate", "grandparent"})


def _age_from(rng: random.Random, bands: Sequence[tuple[int, int, float]]) -> int:
    cumulative = tuple(accumulate(weight for _, _, weight in bands))
    low, high, _ = bands[bisect(cumulative, rng.random() * cumulative[-1])]
    return rng.randint(low, high)


def _birth_ordinal(rng: random.Random, age: int) -> int:
    """A birthday giving exactly `age` whole years on the reference date."""
    year = REFERENCE_DATE.year - age
    latest = date(year, REFERENCE_DATE.month, REFERENCE_DATE.day).toordinal()
    earliest = date(year - 1, REFERENCE_DATE.month, REFERENCE_DATE.day).toordinal() + 1
    return rng.randint(earliest, latest)


def age_on_reference_date(birth: date) -> int:
    years = REFERENCE_DATE.year - birth.year
    if (birth.month, birth.day) > (REFERENCE_DATE.month, REFERENCE_DATE.day):
        years -= 1
    return years


class _HouseholdMaker:
    """Makes the members of one household at a time from a chunk's random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        # Recent adults, for planting strangers who share a name and year of birth.
        self.recent: list[tuple[str, str, int, str]] = []

    def person(
        self,
        *,
        age: int,
        sex: str,
        family_name: str,
        role: str,
        previous_family_name: str = "",
        birth_ordinal: int | None = None,
    ) -> _Member:
        rng = self.rng
        ordinal = _birth_ordinal(rng, age) if birth_ordinal is None else birth_ordinal
        birth_year = date.fromordinal(ordinal).year
        given = given_name_for(rng=rng, sex=sex, birth_year=birth_year)
        middle = ""
        if rng.random() < 0.55:
            middle = given_name_for(rng=rng, sex=sex, birth_year=birth_year)
            if middle == given:
                middle = ""
        return _Member(
            given_name=given,
            middle_name=middle,
            family_name=family_name,
            previous_family_name=previous_family_name,
            birth_ordinal=ordinal,
            sex=sex,
            role=role,
        )

    def adult(
        self, *, bands: Sequence[tuple[int, int, float]], role: str, sex: str | None = None
    ) -> _Member:
        rng = self.rng
        age = _age_from(rng, bands)
        if sex is None:
            sex = "F" if rng.random() < (0.5 if age < 70 else 0.6) else "M"
        member = self.person(age=age, sex=sex, family_name=SURNAMES.pick(rng), role=role)
        self._maybe_stranger(member)
        return member

    def _maybe_stranger(self, member: _Member) -> None:
        """Now and then, reuse an earlier adult's name and year of birth for someone else."""
        rng = self.rng
        if self.recent and rng.random() < 0.006:
            given, family, birth_ordinal, sex = rng.choice(self.recent)
            if sex == member.sex:
                member.given_name = given
                member.family_name = family
                if rng.random() < 0.15:
                    member.birth_ordinal = birth_ordinal
                else:
                    year = date.fromordinal(birth_ordinal).year
                    member.birth_ordinal = rng.randint(
                        date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
                    )
                return
        if len(self.recent) < 500:
            self.recent.append(
                (member.given_name, member.family_name, member.birth_ordinal, member.sex)
            )
        elif rng.random() < 0.05:
            self.recent[rng.randrange(500)] = (
                member.given_name,
                member.family_name,
                member.birth_ordinal,
                member.sex,
            )

    def couple(
        self, *, bands: Sequence[tuple[int, int, float]], min_partner_age: int = 18
    ) -> tuple[_Member, _Member]:
        """Two partners; usually one has taken the other's surname (kept as a previous name)."""
        rng = self.rng
        head = self.adult(bands=bands, role="head", sex="M" if rng.random() < 0.5 else "F")
        head_age = age_on_reference_date(date.fromordinal(head.birth_ordinal))
        partner_sex = head.sex if rng.random() < 0.05 else ("F" if head.sex == "M" else "M")
        partner_age = max(min_partner_age, min(100, head_age + round(rng.gauss(0, 4))))
        partner = self.person(
            age=partner_age, sex=partner_sex, family_name=SURNAMES.pick(rng), role="partner"
        )
        if rng.random() < 0.68 and partner.family_name != head.family_name:
            # One took the other's surname: usually the woman in a man and woman couple.
            woman_first = (head.sex == "F") != (rng.random() < 0.05)
            taker, keeper = (head, partner) if woman_first else (partner, head)
            if head.sex == partner.sex:
                taker, keeper = (head, partner) if rng.random() < 0.5 else (partner, head)
            taker.previous_family_name = taker.family_name
            taker.family_name = keeper.family_name
        return head, partner

    def children(
        self,
        *,
        parents: Sequence[_Member],
        ages: Sequence[int],
        surname: str,
        role: str,
        junior_rate: float,
    ) -> list[_Member]:
        """Children of these ages (any a parent would have been under 17 for are left out)."""
        rng = self.rng
        youngest_parent = max(parent.birth_ordinal for parent in parents)
        oldest_possible = age_on_reference_date(date.fromordinal(youngest_parent)) - 17
        kids: list[_Member] = []
        for age in ages:
            if age > oldest_possible:
                continue
            sex = "M" if rng.random() < 0.51 else "F"
            kid = self.person(age=age, sex=sex, family_name=surname, role=role)
            namesake = next(
                (
                    parent
                    for parent in parents
                    if parent.sex == sex and parent.family_name == surname
                ),
                None,
            )
            if namesake is not None and rng.random() < junior_rate:
                kid.given_name = namesake.given_name
                if rng.random() < 0.4:
                    kid.middle_name = namesake.middle_name
            kids.append(kid)
            if rng.random() < 0.03:  # twins: same birthday and surname, a different name
                twin_sex = sex if rng.random() < 0.6 else ("F" if sex == "M" else "M")
                twin = self.person(
                    age=0,
                    sex=twin_sex,
                    family_name=surname,
                    role=role,
                    birth_ordinal=kid.birth_ordinal,
                )
                while twin.given_name == kid.given_name:
                    twin.given_name = given_name_for(
                        rng=rng,
                        sex=twin_sex,
                        birth_year=date.fromordinal(kid.birth_ordinal).year,
                    )
                kids.append(twin)
        return kids

    def household(self) -> list[_Member]:
        rng = self.rng
        kind = _HOUSEHOLD_TYPES.pick(rng)
        if kind == "single":
            single = self.adult(
                bands=(
                    (18, 29, 9),
                    (30, 44, 14),
                    (45, 64, 30),
                    (65, 79, 28),
                    (80, 89, 15),
                    (90, 100, 4),
                ),
                role="head",
            )
            if single.sex == "F" and rng.random() < 0.3:
                former = SURNAMES.pick(rng)
                single.previous_family_name = "" if former == single.family_name else former
            return [single]
        if kind == "couple":
            return list(
                self.couple(
                    bands=(
                        (20, 29, 10),
                        (30, 44, 16),
                        (45, 64, 36),
                        (65, 79, 28),
                        (80, 89, 9),
                        (90, 95, 1),
                    )
                )
            )
        if kind == "sharers":
            return [
                self.adult(bands=((18, 24, 45), (25, 34, 45), (35, 50, 10)), role="housemate")
                for _ in range(rng.choice((2, 2, 3, 3, 4, 5)))
            ]
        if kind in {"lone_parent", "lone_parent_adult_children"}:
            adult_children = kind == "lone_parent_adult_children"
            ages = (
                [rng.randint(18, 40) for _ in range(rng.choice((1, 1, 2)))]
                if adult_children
                else [rng.randint(0, 17) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
            )
            oldest = max(ages)
            parent = self.adult(
                bands=((oldest + 18, oldest + 29, 40), (oldest + 30, min(100, oldest + 45), 60)),
                role="head",
                sex="F" if rng.random() < 0.88 else "M",
            )
            surname = parent.family_name if rng.random() < 0.75 else SURNAMES.pick(rng)
            return [
                parent,
                *self.children(
                    parents=[parent],
                    ages=ages,
                    surname=surname,
                    role="adult_child" if adult_children else "child",
                    junior_rate=0.05,
                ),
            ]
        if kind == "couple_adult_children":
            ages = [rng.randint(18, 35) for _ in range(rng.choice((1, 1, 2)))]
            oldest = max(ages)
            head, partner = self.couple(
                bands=((oldest + 20, oldest + 30, 50), (oldest + 31, oldest + 42, 50)),
                min_partner_age=oldest + 17,
            )
            return [
                head,
                partner,
                *self.children(
                    parents=[head, partner],
                    ages=ages,
                    surname=self._child_surname(head, partner),
                    role="adult_child",
                    junior_rate=0.06,
                ),
            ]
        ages = [rng.randint(0, 17) for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 2, 2, 3, 4)))]
        oldest = max(ages)
        head, partner = self.couple(
            bands=((oldest + 20, oldest + 30, 45), (oldest + 31, oldest + 45, 55)),
            min_partner_age=oldest + 17,
        )
        members = [head, partner]
        members += self.children(
            parents=[head, partner],
            ages=ages,
            surname=self._child_surname(head, partner),
            role="child",
            junior_rate=0.05,
        )
        if kind == "three_generations":
            grandparent_age = age_on_reference_date(date.fromordinal(head.birth_ordinal)) + 28
            members.append(
                self.person(
                    age=min(100, grandparent_age + rng.randint(-3, 8)),
                    sex="F" if rng.random() < 0.65 else "M",
                    family_name=head.family_name if rng.random() < 0.5 else SURNAMES.pick(rng),
                    role="grandparent",
                )
            )
        return members

    def _child_surname(self, head: _Member, partner: _Member) -> str:
        if head.family_name == partner.family_name:
            return head.family_name
        roll = self.rng.random()
        father, mother = (head, partner) if head.sex == "M" else (partner, head)
        if roll < 0.6:
            return father.family_name
        if roll < 0.85 or "-" in father.family_name or "-" in mother.family_name:
            return mother.family_name
        return f"{father.family_name}-{mother.family_name}"


# ---------------------------------------------------------------------------------------------
# The population


class Population:
    """Everything shared by all chunks of one population: its geography and identifier maps."""

    def __init__(self, *, people: int, seed: int) -> None:
        if not 1 <= people <= MAX_PEOPLE:
            raise ValueError(f"people must be between 1 and {MAX_PEOPLE:,}.")
        self.people = people
        self.seed = seed
        address_slots = max(people, 200)
        self.geography = Geography(slots=address_slots, seed=seed)
        self._address = KeyedPermutation(size=address_slots, key=f"address:{seed}")
        self._previous_address = KeyedPermutation(size=address_slots, key=f"previous:{seed}")
        self._nhs_slot = KeyedPermutation(size=max(people, TEST_RANGE_CAPACITY), key=f"nhs:{seed}")

    @property
    def chunk_count(self) -> int:
        return math.ceil(self.people / CHUNK_SIZE)

    def chunk_rng(self, chunk: int) -> random.Random:
        return random.Random(f"population:{self.seed}:chunk:{chunk}")  # noqa: S311 - test data

    def nhs_number(self, index: int) -> str:
        slot = self._nhs_slot(index)
        return str(nhs_test_range()[slot]) if slot < TEST_RANGE_CAPACITY else ""

    def chunk_people(self, *, chunk: int, rng: random.Random) -> list[TruePerson]:
        """The people of one chunk, drawing from (and advancing) the chunk's random stream."""
        start = chunk * CHUNK_SIZE
        count = min(CHUNK_SIZE, self.people - start)
        maker = _HouseholdMaker(rng)
        people: list[TruePerson] = []
        while len(people) < count:
            members = maker.household()[: count - len(people)]
            head_index = start + len(people)
            household_key = f"H{head_index:08d}"
            slot = self._address(head_index)
            address, postcode, town = self.geography.address(slot)
            previous_address = previous_postcode = ""
            if rng.random() < 0.14:
                previous_slot = self._previous_address(head_index)
                if previous_slot == slot:
                    previous_slot = (slot + 1) % self.geography.slots
                previous_address, previous_postcode, _ = self.geography.address(previous_slot)
            adults = sum(1 for member in members if member.role in _ADULT_ROLES)
            for member in members:
                index = start + len(people)
                birth = date.fromordinal(member.birth_ordinal)
                people.append(
                    TruePerson(
                        person_key=f"P{index:08d}",
                        household_key=household_key,
                        given_name=member.given_name,
                        middle_name=member.middle_name,
                        family_name=member.family_name,
                        previous_family_name=member.previous_family_name,
                        date_of_birth=birth,
                        age=age_on_reference_date(birth),
                        sex=member.sex,
                        nhs_number=self.nhs_number(index),
                        address=address,
                        postcode=postcode,
                        previous_address=previous_address,
                        previous_postcode=previous_postcode,
                        town_code=town.code,
                        trust_code=town.trust_code,
                        household_role=member.role,
                        household_adults=adults,
                    )
                )
        return people


def iter_people(*, people: int, seed: int) -> Iterator[TruePerson]:
    """The true population, chunk by chunk: the same people `generate` writes to people.csv."""
    population = Population(people=people, seed=seed)
    for chunk in range(population.chunk_count):
        yield from population.chunk_people(chunk=chunk, rng=population.chunk_rng(chunk))
