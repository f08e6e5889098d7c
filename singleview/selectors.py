"""Reads for the practitioner pages: the declared purpose, search and the person page."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest
from django.utils import timezone

from agencies import reference, sql
from agencies.extracts.freshness import Freshness, freshness_of
from agencies.models import Agency, Dataset, DatasetPublication, FieldType, SourceRecord, User
from audit import events
from audit.alerts import alert_break_glass
from audit.models import Action
from governance import policy
from governance.models import DisclosureLevel, LegitimateRelationship, Purpose
from matching import search
from matching.models import Link, LinkStatus, Person, ReviewStatus, ReviewTask, SearchEntry
from matching.normalise import date_of_birth_parse

PURPOSE_SESSION_KEY = "singleview_purpose"


@dataclass(frozen=True)
class DeclaredPurpose:
    """The purpose a practitioner declared for this session, and until when it holds."""

    purpose: Purpose
    justification: str
    case_reference: str
    declared_at: datetime
    expires_at: datetime
    # The grants in force for this purpose, as `declared_purpose` read them for the user whose
    # declaration it checked (in this request): the reads reuse them instead of reading again.
    snapshot: policy.PolicySnapshot | None = dataclasses.field(
        default=None, compare=False, repr=False
    )
    snapshot_user_id: int | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def is_break_glass(self) -> bool:
        return self.purpose.is_emergency


def declared_purpose(*, request: HttpRequest, user: User) -> DeclaredPurpose | None:
    """The declared purpose if it still holds: not expired, and the user's role still has a grant
    in force for it. Anything else means the practitioner must declare again."""
    stored = request.session.get(PURPOSE_SESSION_KEY)
    if not stored:
        return None
    expires_at = datetime.fromisoformat(stored["expires_at"])
    if timezone.now() >= expires_at:
        return None
    # The purpose is still available (`policy.purposes_available`) exactly when it is one of the
    # user's partnership's and the user's role still has a grant in force for it: read that way,
    # with the purpose, the same snapshot of the grants serves this request's reads.
    snapshot = policy.declared_snapshot(user=user, purpose_id=stored["purpose_id"])
    if snapshot is None:
        return None
    purpose = snapshot.purpose
    return DeclaredPurpose(
        purpose=purpose,
        justification=stored["justification"],
        case_reference=stored["case_reference"],
        declared_at=datetime.fromisoformat(stored["declared_at"]),
        expires_at=expires_at,
        snapshot=snapshot,
        snapshot_user_id=user.pk,
    )


def _snapshot(*, user: User, declared: DeclaredPurpose) -> policy.PolicySnapshot:
    """The grants in force for the user and the declared purpose: those `declared_purpose` read
    for this user, or read now."""
    if declared.snapshot is not None and declared.snapshot_user_id == user.pk:
        return declared.snapshot
    return policy.snapshot(user=user, purpose=declared.purpose)


def purpose_banner(*, request: HttpRequest) -> dict[str, object] | None:
    """What the banner on every page says, from the session alone (no query)."""
    stored = request.session.get(PURPOSE_SESSION_KEY) if hasattr(request, "session") else None
    if not stored or timezone.now() >= datetime.fromisoformat(stored["expires_at"]):
        return None
    return {
        "name": stored["name"],
        "case_reference": stored["case_reference"],
        "expires_at": datetime.fromisoformat(stored["expires_at"]),
        "is_break_glass": stored["is_emergency"],
    }


# ---------------------------------------------------------------------------------------------
# Search and the person page. Each read records its audit event, committed before it returns
# (`audit.events.committed`): callers render only what these return, after they return.


class PersonGone(Exception):
    """The person was merged into another: `survivor` is the public id to show instead."""

    def __init__(self, survivor: uuid.UUID) -> None:
        super().__init__(str(survivor))
        self.survivor = survivor


@dataclass(frozen=True)
class ShownField:
    name: str
    label: str
    value: str


@dataclass(frozen=True)
class KnownTo:
    dataset_code: str
    dataset_name: str
    agency_name: str


@dataclass(frozen=True)
class SearchResult:
    person: Person
    score: search.Score
    demographics: tuple[ShownField, ...]
    known_to: tuple[KnownTo, ...]


@dataclass(frozen=True)
class SearchResults:
    results: tuple[SearchResult, ...]
    total: int
    capped: bool
    # More records fitted the search keys than a search scores (SEARCH_CANDIDATE_LIMIT): more
    # people than `total` may match.
    total_at_least: bool = False


@dataclass(frozen=True)
class Card:
    """One agency dataset on a person's page, at the level the policy decided."""

    dataset: Dataset
    disclosure: policy.Disclosure
    records: tuple[tuple[ShownField, ...], ...]
    freshness: Freshness
    extracted_at: datetime | None
    locked: bool = False

    @property
    def level(self) -> str:
        return str(self.disclosure.level)

    @property
    def level_label(self) -> str:
        return DisclosureLevel(self.level).label


@dataclass(frozen=True)
class PossibleMatch:
    """Another person the matcher thinks may be this one, waiting for a reviewer: kept apart."""

    public_id: uuid.UUID
    score: float


@dataclass(frozen=True)
class PersonPage:
    person: Person
    cards: tuple[Card, ...]
    possible_matches: tuple[PossibleMatch, ...]
    break_glass: bool


@dataclass(slots=True)
class CandidateRecord:
    """A search candidate's record: the columns that scoring, the policy and the results read.
    Plain data rather than a SourceRecord: a broad search makes dozens of them."""

    pk: int
    dataset_id: int
    source_key: str
    given_name: str
    family_name: str
    date_of_birth: str
    postcode: str
    nhs_number: str


DEMOGRAPHIC_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode")
RECORD_COLUMNS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
)


def _display(name: str, value: object, field_type: str = "") -> str:
    if value is None or value == "":
        return ""
    if field_type == FieldType.BOOLEAN and str(value).upper() in {"Y", "N"}:
        return "Yes" if str(value).upper() == "Y" else "No"  # extracts send booleans as Y or N
    if name == "date_of_birth" or (isinstance(value, str) and _ISO_DAY.match(value)):
        parsed = date_of_birth_parse(str(value))
        if parsed is not None and parsed.is_full:
            return date(parsed.year, parsed.month, parsed.day).strftime("%-d %B %Y")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _record_value(record: SourceRecord | CandidateRecord, name: str) -> object:
    if name in RECORD_COLUMNS:
        return getattr(record, name)
    # A search candidate holds only the demographic columns searches show.
    return record.payload.get(name, "") if isinstance(record, SourceRecord) else ""


def _shown_fields(
    record: SourceRecord | CandidateRecord,
    names: Iterable[str],
    labels: Mapping[tuple[int, str], tuple[int, str, str]],
) -> tuple[ShownField, ...]:
    """The granted fields of a record, in the dataset's own order, with their labels. Only
    names the disclosure lists are read at all."""
    described = {
        name: labels.get(
            (record.dataset_id, name), (10_000, name.replace("_", " ").capitalize(), "")
        )
        for name in names
    }
    return tuple(
        ShownField(
            name=name,
            label=label,
            value=_display(name, _record_value(record, name), field_type),
        )
        for name, (_, label, field_type) in sorted(
            described.items(), key=lambda item: (item[1][0], item[0])
        )
    )


def _decide(
    snapshot: policy.PolicySnapshot, records: Sequence[SourceRecord | CandidateRecord]
) -> dict[int, policy.Disclosure]:
    """The policy's decision for each record (by record id): one query for restrictions."""
    refs = {
        record.pk: policy.RecordRef(record.dataset_id, record.source_key)
        for record in records
        if record.dataset_id in snapshot.dataset_ids
    }
    restrictions = policy.restrictions_for(refs.values())
    return {
        record.pk: snapshot.decide(
            record.dataset_id, restrictions.get(refs[record.pk], frozenset())
        )
        if record.pk in refs
        else snapshot.decide(record.dataset_id)
        for record in records
    }


# A candidate as its search entry carries it: its person, then CandidateRecord's columns in order.
_CANDIDATE = sql.Columns(
    SearchEntry,
    "e",
    (
        "person",
        "person_public_id",
        "source_record",
        "dataset",
        "source_key",
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode_as_held",
        "nhs_number_as_held",
    ),
)


# A result's person as its search entry names it: a current person (its records' links are
# active), so never merged.
_RESULT_PERSON = sql.Columns(Person, "p", ("id", "partnership", "public_id"))


@dataclass(frozen=True)
class _KeyCondition:
    """One search key a candidate's entry may agree on: its SQL, its parameters, and how much
    agreeing on it says (roughly the scorer's weight for the fields it covers). A broad key (a
    family name in a year of birth or a postcode district) weighs 0: its records are read after
    the specific keys' and in no order."""

    sql: str
    params: tuple[Any, ...]
    weight: int


def _search_conditions(query: search.Query) -> list[_KeyCondition]:
    """The search keys a candidate's entry must have one of (`matching.search.keys_for`). Each
    key that a partial index covers repeats the index's condition (not empty), so that a
    prepared statement's generic plan, made without the values, can still use that index."""
    conditions: list[_KeyCondition] = []
    if query.nhs_number:
        conditions.append(
            _KeyCondition("(e.nhs_number = %s AND e.nhs_number <> '')", (query.nhs_number,), 12)
        )
    if query.birth is not None:
        in_births, birth_params = sql.one_of("e.birth", query.birth_values())
        conditions.append(_KeyCondition(f"({in_births} AND e.birth <> '')", tuple(birth_params), 4))
        for code in query.family_codes:
            conditions.append(
                _KeyCondition(
                    "(e.family_code = %s AND e.birth_year = %s)", (code, query.birth.year), 0
                )
            )
    if query.postcode is not None:
        if query.postcode.is_full:
            conditions.append(
                _KeyCondition("(e.postcode = %s AND e.postcode <> '')", (query.postcode.text,), 3)
            )
        for code in query.family_codes:
            conditions.append(
                _KeyCondition(
                    "(e.family_code = %s AND e.district = %s)", (code, query.postcode.district), 0
                )
            )
    return conditions


def _search_candidates(
    *, query: search.Query, partnership_id: int, dataset_ids: Iterable[int], limit: int
) -> list[tuple[int, uuid.UUID, CandidateRecord]]:
    """Each current record (with an active link) of these datasets whose search keys match, with
    its link's person (id and public id): one hand-written query (`agencies.sql`) of the search
    entries alone, which carry both (`matching.SearchEntry`). At most `limit` rows:
    - first those agreeing on a specific key (an NHS number, a date of birth, a full postcode),
      the weightiest agreements first, then the newest records;
    - then those agreeing only on a broad key (a family name in a year of birth or a postcode
      district) in the order the database finds them, so that it stops reading at the limit: a
      common family name in a district has thousands, and no order among them is more right.
    """
    conditions = _search_conditions(query)
    datasets = sorted(dataset_ids)
    if not conditions or not datasets:
        return []
    in_datasets, dataset_params = sql.one_of("e.dataset_id", datasets)
    select = (
        f"SELECT {_CANDIDATE.sql} FROM {sql.table(SearchEntry)} e "  # noqa: S608 - model names
        f"WHERE e.partnership_id = %s AND {in_datasets}"
    )
    specific = [condition for condition in conditions if condition.weight]
    broad = [condition for condition in conditions if not condition.weight]
    any_specific = f"({' OR '.join(condition.sql for condition in specific)})"
    specific_params = [param for condition in specific for param in condition.params]
    parts: list[str] = []
    params: list[Any] = []
    if specific:
        agreement = " + ".join(
            f"CASE WHEN {condition.sql} THEN {condition.weight} ELSE 0 END"
            for condition in specific
        )
        parts.append(
            f"{select} AND {any_specific} "
            f"ORDER BY {agreement} DESC, e.source_record_id DESC LIMIT %s"
        )
        params += [partnership_id, *dataset_params, *specific_params, *specific_params, limit]
    if broad:
        only_broad = f" AND NOT {any_specific}" if specific else ""
        parts.append(
            f"{select} AND ({' OR '.join(condition.sql for condition in broad)}){only_broad} "
            "LIMIT %s"
        )
        params += [
            partnership_id,
            *dataset_params,
            *(param for condition in broad for param in condition.params),
            *(specific_params if specific else []),
            limit,
        ]
    statement = " UNION ALL ".join(
        f"SELECT * FROM ({part}) AS part_{number}"  # noqa: S608 - built above
        for number, part in enumerate(parts)
    )
    found = sql.rows(f"{statement} LIMIT %s", [*params, limit])
    return [
        (values[0], values[1], CandidateRecord(*values[2:]))
        for values in _CANDIDATE.values_of(found)
    ]


def person_search(
    *,
    user: User,
    declared: DeclaredPurpose,
    terms: Mapping[str, str],
    request: HttpRequest | None = None,
) -> SearchResults:
    """People matching the terms, best first, capped, each with the demographics the user may
    see and the datasets (agencies) that know them. A search that breaks the two-identifier rule
    raises `search.SearchError` and is recorded as refused."""
    purpose = declared.purpose
    given = {field: str(terms.get(field) or "").strip() for field in search.SEARCH_FIELDS}
    try:
        query = search.query_parse(given)
    except search.SearchError as error:
        with events.committed():
            events.record_denied(
                user=user,
                purpose=purpose,
                attempted=Action.SEARCH,
                reason=f"Search refused: {error}",
                request=request,
            )
        raise
    snapshot = _snapshot(user=user, declared=declared)
    # One query for the candidates: the scoring columns of each current record whose search keys
    # match, and its person, those agreeing on the most specific keys first, at most
    # SEARCH_CANDIDATE_LIMIT (a common family name in a postcode district has thousands). They
    # are scored in memory; only the records of people with a fitting record are decided on.
    rows = _search_candidates(
        query=query,
        partnership_id=user.agency.partnership_id,
        dataset_ids=snapshot.dataset_ids,
        limit=settings.SEARCH_CANDIDATE_LIMIT,
    )
    scorer = search.Scorer(query)
    fits = [
        scorer(
            search.Candidate(
                record.given_name,
                record.family_name,
                record.date_of_birth,
                record.postcode,
                record.nhs_number,
            )
        )
        for _, _, record in rows
    ]
    fitting = {
        person_id for (person_id, _, _), fit in zip(rows, fits, strict=True) if fit is not None
    }
    public_ids = {person_id: public_id for person_id, public_id, _ in rows}
    candidates = [
        (person_id, record, fit)
        for (person_id, _, record), fit in zip(rows, fits, strict=True)
        if person_id in fitting
    ]
    decisions = _decide(snapshot, [record for _, record, _ in candidates])
    best: dict[int, tuple[search.Score, CandidateRecord]] = {}
    shown: dict[int, list[CandidateRecord]] = defaultdict(list)
    for person_id, record, fit in candidates:
        if not decisions[record.pk].shown:
            continue
        shown[person_id].append(record)
        if fit is not None and (person_id not in best or fit.weight > best[person_id][0].weight):
            best[person_id] = (fit, record)
    ranked = sorted(best, key=lambda person_id: (-best[person_id][0].weight, person_id))
    limit = settings.SEARCH_MAX_RESULTS
    partnership_id = user.agency.partnership_id
    persons = {
        person_id: _RESULT_PERSON.made((person_id, partnership_id, public_ids[person_id]))
        for person_id in ranked[:limit]
    }
    details = reference.dataset_details(
        {record.dataset_id for person_id in ranked[:limit] for record in shown[person_id]}
    )
    results: list[SearchResult] = []
    disclosed: list[policy.Disclosure] = []
    labels = reference.field_labels(
        {record.dataset_id for records in shown.values() for record in records}
    )
    related = _related_persons(
        user=user,
        person_ids=[
            person_id
            for person_id in ranked[:limit]
            if any(decisions[r.pk].requires_legitimate_relationship for r in shown[person_id])
        ],
    )
    for person_id in ranked[:limit]:
        fit, matched = best[person_id]
        datasets: dict[int, KnownTo] = {}
        demographics: dict[str, ShownField] = {}
        for record in sorted(shown[person_id], key=lambda r: (r.pk != matched.pk, r.pk)):
            disclosure = decisions[record.pk]
            about = details[record.dataset_id]
            datasets.setdefault(
                record.dataset_id, KnownTo(about.code, about.name, about.agency_name)
            )
            if disclosure.requires_legitimate_relationship and person_id not in related:
                disclosure = replace(disclosure, level=DisclosureLevel.KNOWN_TO, fields=frozenset())
            names = [name for name in DEMOGRAPHIC_FIELDS if name in disclosure.fields]
            fields = [f for f in _shown_fields(record, names, labels) if f.value]
            taken = [f for f in fields if f.name not in demographics]
            for item in taken:
                demographics[item.name] = item
            disclosed.append(replace(disclosure, fields=frozenset(f.name for f in taken)))
        results.append(
            SearchResult(
                person=persons[person_id],
                score=fit,
                demographics=tuple(
                    demographics[name] for name in DEMOGRAPHIC_FIELDS if name in demographics
                ),
                known_to=tuple(sorted(datasets.values(), key=lambda k: k.agency_name)),
            )
        )
    with events.committed():
        events.record_search_and_results(
            user=user,
            purpose=purpose,
            terms={field: value for field, value in given.items() if value},
            result_count=len(ranked),
            persons=[result.person for result in results],
            disclosures=disclosed,
            justification=declared.justification,
            case_reference=declared.case_reference,
            request=request,
        )
    return SearchResults(
        results=tuple(results),
        total=len(ranked),
        capped=len(ranked) > limit,
        total_at_least=len(rows) >= settings.SEARCH_CANDIDATE_LIMIT,
    )


_PAGE_PERSON = sql.Columns(Person, "p")


def person_get(*, user: User, public_id: uuid.UUID | str) -> Person:
    """A person of the user's partnership (404 for any other), following merges."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as error:
        raise Http404("No such person.") from error
    # Hand-written (`agencies.sql`): every person page makes this query.
    table = sql.table(Person)
    found = sql.rows(
        f"SELECT {_PAGE_PERSON.sql} FROM {table} p "  # noqa: S608 - model names
        "WHERE p.public_id = %s AND p.partnership_id = %s",
        [
            Person._meta.get_field("public_id").get_db_prep_value(key, connection),
            user.agency.partnership_id,
        ],
    )
    person = _PAGE_PERSON.instance(found[0]) if found else None
    if person is None:
        raise Http404("No such person.")
    if person.merged_into_id is not None:
        survivor = person.merged_into
        while survivor is not None and survivor.merged_into_id is not None:
            survivor = survivor.merged_into
        assert survivor is not None  # noqa: S101 - merged_into_id was set
        raise PersonGone(survivor.public_id)
    return person


# A person's record: what the policy, the cards and possible matches read. Its times stay
# deferred: nothing on the page shows them, and each costs a time-zone conversion per row.
_RECORD = sql.Columns(
    SourceRecord, "r", ("id", "dataset_id", "source_key", *RECORD_COLUMNS, "payload")
)
_RECORD_DATASET = sql.Columns(Dataset, "d")
_RECORD_AGENCY = sql.Columns(Agency, "a")
_RECORD_PUBLICATION = sql.Columns(DatasetPublication, "pub")


def _person_records(person: Person) -> list[SourceRecord]:
    """The person's current records (active links), each with its dataset, the dataset's agency
    and publication, by agency and dataset name: one hand-written query (`agencies.sql`)."""
    found = sql.rows(
        f"SELECT {_RECORD.sql}, {_RECORD_DATASET.sql}, {_RECORD_AGENCY.sql}, "  # noqa: S608 - model names
        f"{_RECORD_PUBLICATION.sql} "
        f"FROM {sql.table(Link)} l "
        f"JOIN {sql.table(SourceRecord)} r ON r.id = l.source_record_id "
        f"JOIN {sql.table(Dataset)} d ON d.id = r.dataset_id "
        f"JOIN {sql.table(Agency)} a ON a.id = d.agency_id "
        f"LEFT JOIN {sql.table(DatasetPublication)} pub ON pub.dataset_id = d.id "
        "WHERE l.person_id = %s AND l.status = %s AND r.retired_at IS NULL "
        "ORDER BY a.name, d.name, l.id",
        [person.pk, LinkStatus.ACTIVE.value],
    )
    datasets: dict[int, Dataset] = {}
    records = []
    dataset_at = _RECORD.width
    agency_at = dataset_at + _RECORD_DATASET.width
    publication_at = agency_at + _RECORD_AGENCY.width
    for row in found:
        record = _RECORD.instance(row)
        assert record is not None  # noqa: S101 - an inner join's row
        dataset = datasets.get(record.dataset_id)
        if dataset is None:
            dataset = _RECORD_DATASET.instance(row, dataset_at)
            assert dataset is not None  # noqa: S101 - an inner join's row
            Dataset.agency.field.set_cached_value(dataset, _RECORD_AGENCY.instance(row, agency_at))
            publication = _RECORD_PUBLICATION.instance(row, publication_at)
            if publication is not None:
                DatasetPublication.dataset.field.set_cached_value(publication, dataset)
            Dataset.publication.related.set_cached_value(dataset, publication)
            datasets[record.dataset_id] = dataset
        SourceRecord.dataset.field.set_cached_value(record, dataset)
        records.append(record)
    return records


def _related_persons(*, user: User, person_ids: Sequence[int]) -> set[int]:
    """Which of these persons the user has a legitimate relationship in force with (one
    hand-written query, as every search and person page under such a grant makes it; none when
    there are no persons)."""
    if not person_ids:
        return set()
    table = sql.table(LegitimateRelationship)
    in_persons, params = sql.one_of("person_id", person_ids)
    now = LegitimateRelationship._meta.get_field("expires_at").get_db_prep_value(
        timezone.now(), connection
    )
    found = sql.rows(
        f"SELECT person_id FROM {table} "  # noqa: S608 - model names, placeholders
        f"WHERE user_id = %s AND {in_persons} AND expires_at > %s",
        [user.pk, *params, now],
    )
    return {person_id for (person_id,) in found}


def relationship_in_force(*, user: User, person: Person) -> bool:
    """Whether the user has recorded a legitimate relationship with the person that still
    holds."""
    return person.pk in _related_persons(user=user, person_ids=[person.pk])


def _cards(
    *, user: User, person: Person, records: Sequence[SourceRecord], decisions: Mapping[int, Any]
) -> list[Card]:
    by_dataset: dict[int, list[SourceRecord]] = defaultdict(list)
    for record in records:
        if decisions[record.pk].shown:
            by_dataset[record.dataset_id].append(record)
    needs_relationship = any(
        decisions[group[0].pk].requires_legitimate_relationship for group in by_dataset.values()
    )
    related = needs_relationship and relationship_in_force(user=user, person=person)
    labels = reference.field_labels(by_dataset)
    now = timezone.now()
    cards = []
    for group in by_dataset.values():
        # One card per dataset, at the most restricted of its records' decisions.
        disclosure = min(
            (decisions[record.pk] for record in group),
            key=lambda d: (policy.LEVEL_ORDER[d.level], len(d.fields)),
        )
        locked = disclosure.requires_legitimate_relationship and not related
        if locked:
            disclosure = replace(disclosure, level=DisclosureLevel.KNOWN_TO, fields=frozenset())
        dataset = group[0].dataset
        publication = getattr(dataset, "publication", None)
        cards.append(
            Card(
                dataset=dataset,
                disclosure=disclosure,
                records=tuple(_shown_fields(record, disclosure.fields, labels) for record in group)
                if disclosure.fields
                else (),
                freshness=publication.freshness
                if publication is not None
                else freshness_of(
                    last_published_at=None,
                    confirmed_at=None,
                    cadence=dataset.refresh_cadence,
                    now=now,
                ),
                extracted_at=publication.last_published_at if publication is not None else None,
                locked=locked,
            )
        )
    return cards


def _possible_matches(
    *, person: Person, records: Sequence[SourceRecord], snapshot: policy.PolicySnapshot
) -> list[PossibleMatch]:
    """Open review tasks pairing one of this person's records with a record of another person
    the user may see something of: shown apart, never merged silently."""
    ids = [record.pk for record in records]
    if not ids:
        return []
    # Hand-written (`agencies.sql`): every person page makes this query.
    table = sql.table(ReviewTask)
    as_first, first_params = sql.one_of("first_record_id", ids)
    as_second, second_params = sql.one_of("second_record_id", ids)
    tasks = sql.rows(
        f"SELECT first_record_id, second_record_id, score FROM {table} "  # noqa: S608 - model names
        f"WHERE ({as_first} OR {as_second}) AND status = %s",
        [*first_params, *second_params, ReviewStatus.OPEN.value],
    )
    others: dict[int, float] = {}
    for first, second, weight in tasks:
        other = second if first in ids else first
        others[other] = max(weight, others.get(other, weight))
    if not others:
        return []
    found: dict[uuid.UUID, float] = {}
    for record_id, public_id, dataset_id in (
        Link.objects.filter(
            source_record_id__in=list(others),
            status=LinkStatus.ACTIVE,
            source_record__retired_at__isnull=True,
        )
        .exclude(person=person)
        .values_list("source_record_id", "person__public_id", "source_record__dataset_id")
    ):
        if dataset_id in snapshot.dataset_ids:
            found[public_id] = max(others[record_id], found.get(public_id, others[record_id]))
    return [
        PossibleMatch(public_id=public_id, score=weight)
        for public_id, weight in sorted(found.items(), key=lambda item: -item[1])
    ]


def _refuse(
    *,
    user: User,
    declared: DeclaredPurpose,
    attempted: str,
    reason: str,
    person: Person,
    request: HttpRequest | None,
) -> Http404:
    with events.committed():
        events.record_denied(
            user=user,
            purpose=declared.purpose,
            attempted=attempted,
            reason=reason,
            person=person,
            request=request,
        )
    return Http404("There is nothing you can see about this person for your purpose.")


def _withheld_reason(decisions: Iterable[policy.Disclosure]) -> str:
    reasons = sorted({d.withheld for d in decisions if d.withheld}) or [policy.Withheld.NO_GRANT]
    return "Nothing to show: " + ", ".join(reasons)


def _person_read_record(
    *,
    user: User,
    declared: DeclaredPurpose,
    person: Person,
    disclosures: list[policy.Disclosure],
    whole_page: bool,
    request: HttpRequest | None,
) -> None:
    """Commit the event of a person page (or one card) before it is shown. Under a break-glass
    purpose it is a break-glass event, and its alert is raised in the same transaction so the
    data owners' IG officers see it at once."""
    reason: dict[str, Any] = {
        "user": user,
        "purpose": declared.purpose,
        "person": person,
        "justification": declared.justification,
        "case_reference": declared.case_reference,
        "request": request,
    }
    with events.committed():
        if declared.is_break_glass:
            event = events.record_break_glass(**reason, disclosures=disclosures)
            alert_break_glass(event_id=event.pk)
        elif whole_page:
            events.record_person_viewed(**reason, disclosures=disclosures)
        else:
            events.record_card_shown(**reason, disclosure=disclosures[0])


def person_page(
    *,
    user: User,
    declared: DeclaredPurpose,
    public_id: uuid.UUID | str,
    request: HttpRequest | None = None,
) -> PersonPage:
    """A person's page: one card per agency dataset at the level the policy decides. A person
    the user may see nothing of is a refusal (recorded) and a 404. Under a break-glass purpose
    the view is recorded as break-glass and the data owners' IG officers are alerted at once."""
    person = person_get(user=user, public_id=public_id)
    records = _person_records(person)
    snapshot = _snapshot(user=user, declared=declared)
    decisions = _decide(snapshot, records)
    cards = _cards(user=user, person=person, records=records, decisions=decisions)
    if not cards:
        raise _refuse(
            user=user,
            declared=declared,
            attempted=Action.PERSON_VIEWED,
            reason=_withheld_reason(decisions.values()),
            person=person,
            request=request,
        )
    matches = _possible_matches(person=person, records=records, snapshot=snapshot)
    _person_read_record(
        user=user,
        declared=declared,
        person=person,
        disclosures=[card.disclosure for card in cards],
        whole_page=True,
        request=request,
    )
    return PersonPage(
        person=person,
        cards=tuple(cards),
        possible_matches=tuple(matches),
        break_glass=declared.is_break_glass,
    )


def person_card(
    *,
    user: User,
    declared: DeclaredPurpose,
    public_id: uuid.UUID | str,
    dataset_id: int,
    request: HttpRequest | None = None,
) -> tuple[Person, Card]:
    """One dataset's card of a person. A dataset the policy shows nothing of (no grant, a
    restriction, no record there) is a refusal (recorded) and a 404."""
    person = person_get(user=user, public_id=public_id)
    records = [r for r in _person_records(person) if r.dataset_id == dataset_id]
    snapshot = _snapshot(user=user, declared=declared)
    decisions = _decide(snapshot, records)
    cards = _cards(user=user, person=person, records=records, decisions=decisions)
    if not cards:
        raise _refuse(
            user=user,
            declared=declared,
            attempted=Action.CARD_SHOWN,
            reason=_withheld_reason(decisions.values())
            if records
            else f"Nothing to show: no current record in dataset {dataset_id}",
            person=person,
            request=request,
        )
    card = cards[0]
    _person_read_record(
        user=user,
        declared=declared,
        person=person,
        disclosures=[card.disclosure],
        whole_page=False,
        request=request,
    )
    return person, card


def person_export(
    *,
    user: User,
    declared: DeclaredPurpose,
    public_id: uuid.UUID | str,
    request: HttpRequest | None = None,
) -> tuple[PersonPage, list[tuple[str, ...]]]:
    """A person's page as rows for a download (agency, dataset, level, field, value, extract
    time): the same cards as the page, recorded as a view and then as an export before any row
    is returned."""
    page = person_page(user=user, declared=declared, public_id=public_id, request=request)
    rows: list[tuple[str, ...]] = []
    for card in page.cards:
        extracted = timezone.localtime(card.extracted_at).isoformat() if card.extracted_at else ""
        head = (card.dataset.agency.name, card.dataset.name, card.level_label)
        if not card.records:
            contact = "" if card.locked else card.dataset.known_to_contact
            rows.append((*head, "Known to this agency", contact or "Yes", extracted))
        for fields in card.records:
            rows.extend((*head, item.label, item.value, extracted) for item in fields)
    with events.committed():
        events.record_export(
            user=user,
            purpose=declared.purpose,
            persons=[page.person],
            export_format="csv",
            row_count=len(rows),
            disclosures=[card.disclosure for card in page.cards],
            justification=declared.justification,
            case_reference=declared.case_reference,
            request=request,
        )
    return page, rows
