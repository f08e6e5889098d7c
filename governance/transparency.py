"""The public transparency register: what each partnership shares, in plain English.

Generated from live configuration: every grant version that is approved and in date today, for one
partnership, grouped by the agency that shares. Drafts, versions awaiting sign-off and rejected,
suspended, revoked, expired or superseded versions never appear. Anyone may read it, without
signing in (the two-factor middleware exempts /transparency/), as a web page, CSV or JSON.

The register is built with a fixed number of queries (two, after the partnership), however many
grants the partnership has.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe

from agencies.models import DatasetField, Partnership
from governance.models import (
    Article6,
    Article9,
    DisclosureLevel,
    GrantStatus,
    GrantVersion,
)

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_HEADER = (
    "Sharing agency",
    "Agency code",
    "Dataset",
    "Shared with (role)",
    "At (organisation type)",
    "Purpose",
    "Disclosure level",
    "Fields shared",
    "UK GDPR Article 6 condition",
    "UK GDPR Article 9 condition",
    "Statute",
    "Why",
    "Conditions",
    "Relationship must be recorded first",
    "Shared even where the person objected",
    "Valid from",
    "Valid until",
    "Next review",
    "Version",
    "Plain English",
)


@dataclass(frozen=True)
class RegisterEntry:
    """One grant version in force, as the public sees it: names and labels, never codes."""

    sharing_agency: str
    sharing_agency_code: str
    dataset: str
    role: str
    organisation_type: str
    purpose: str
    disclosure_level: str
    disclosure_level_label: str
    fields: tuple[str, ...]
    article6: str
    article9: str
    statute: str
    necessity_statement: str
    conditions: str
    requires_legitimate_relationship: bool
    overrides_objection: bool
    valid_from: date
    valid_until: date
    review_date: date
    version: int
    sentences: tuple[str, ...]

    @property
    def title(self) -> str:
        return (
            f"{self.dataset} with {_plural(self.role)} at {_plural(self.organisation_type)} "
            f"for {self.purpose}"
        )

    @property
    def statement(self) -> str:
        """The whole entry in plain English, as one paragraph."""
        return " ".join(self.sentences)

    def as_csv_row(self) -> list[str]:
        return [
            self.sharing_agency,
            self.sharing_agency_code,
            self.dataset,
            self.role,
            self.organisation_type,
            self.purpose,
            self.disclosure_level_label,
            "; ".join(self.fields),
            self.article6,
            self.article9,
            self.statute,
            self.necessity_statement,
            self.conditions,
            "Yes" if self.requires_legitimate_relationship else "No",
            "Yes" if self.overrides_objection else "No",
            self.valid_from.isoformat(),
            self.valid_until.isoformat(),
            self.review_date.isoformat(),
            str(self.version),
            self.statement,
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "shared_with": {"role": self.role, "organisation_type": self.organisation_type},
            "purpose": self.purpose,
            "disclosure_level": {
                "code": self.disclosure_level,
                "label": self.disclosure_level_label,
            },
            "fields": list(self.fields),
            "legal_basis": {
                "uk_gdpr_article_6": self.article6,
                "uk_gdpr_article_9": self.article9 or None,
                "statute": self.statute,
            },
            "why": self.necessity_statement,
            "conditions": self.conditions or None,
            "relationship_must_be_recorded_first": self.requires_legitimate_relationship,
            "shared_even_where_the_person_objected": self.overrides_objection,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "next_review": self.review_date.isoformat(),
            "version": self.version,
            "plain_english": self.statement,
        }


@dataclass(frozen=True)
class AgencyGroup:
    """The entries of one sharing agency."""

    name: str
    code: str
    entries: tuple[RegisterEntry, ...]


def _plural(name: str) -> str:
    """A role or organisation type in the plural: 'GP' -> 'GPs', 'GP practice' -> 'GP
    practices'. Names that already read as plural or collective stay as they are."""
    words = name.rsplit(" ", 1)
    last = words[-1]
    lowered = last.lower()
    if lowered.endswith(("s", "staff", "personnel", "team", "police")) or not last:
        return name
    if lowered.endswith(("ch", "sh", "x", "z")):
        last = f"{last}es"
    elif lowered.endswith("y") and lowered[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        last = f"{last[:-1]}ies"
    else:
        last = f"{last}s"
    return " ".join([*words[:-1], last])


def _lower_first(label: str) -> str:
    """'Date of birth' -> 'date of birth'; acronyms ('NHS number') keep their capitals."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def long_date(value: date) -> str:
    """31 March 2027."""
    return f"{value.day} {value:%B %Y}"


def _records(dataset_name: str) -> str:
    return (
        dataset_name
        if dataset_name.lower().endswith(("records", "record"))
        else (f"{dataset_name} records")
    )


def _sentences(
    *,
    version: GrantVersion,
    fields: Sequence[str],
    today: date,
) -> tuple[str, ...]:
    grant = version.grant
    if version.disclosure_level == DisclosureLevel.KNOWN_TO:
        what = "as a known-to flag only: that it holds a record of the person, and nothing more"
    elif version.disclosure_level == DisclosureLevel.FULL:
        what = f"in full: {', '.join(_lower_first(label) for label in fields)}"
    else:
        what = f"at summary level: {', '.join(_lower_first(label) for label in fields)}"
    sentences = [
        f"{grant.dataset.agency.name} shares {_records(grant.dataset.name)} with "
        f"{_plural(grant.role.name)} at {_plural(grant.organisation_type.name)} for "
        f"{grant.purpose.name}, {what}."
    ]
    basis = [f"UK GDPR Article {Article6(version.article6_condition).label}"]
    if version.article9_condition:
        basis.append(f"Article {Article9(version.article9_condition).label}")
    basis.append(version.statute.strip().rstrip("."))
    sentences.append(f"Legal basis: {', '.join(basis)}.")
    sentences.append(f"Why: {_sentence(version.necessity_statement)}")
    if version.conditions.strip():
        sentences.append(f"Conditions: {_sentence(version.conditions)}")
    if version.requires_legitimate_relationship:
        sentences.append("Staff must record their relationship to the person before they look.")
    if grant.purpose.overrides_objection:
        sentences.append(
            "This is shared even where the person has objected, because this purpose can "
            "override an objection."
        )
    review = (
        f"review overdue since {long_date(version.review_date)}"
        if version.review_date < today
        else f"next review {long_date(version.review_date)}"
    )
    sentences.append(f"Valid until {long_date(version.valid_until)}, {review}.")
    return tuple(sentences)


def _entry(*, version: GrantVersion, labels: dict[str, str], today: date) -> RegisterEntry:
    grant = version.grant
    fields = tuple(labels.get(name, name) for name in version.field_names)
    return RegisterEntry(
        sharing_agency=grant.dataset.agency.name,
        sharing_agency_code=grant.dataset.agency.code,
        dataset=grant.dataset.name,
        role=grant.role.name,
        organisation_type=grant.organisation_type.name,
        purpose=grant.purpose.name,
        disclosure_level=version.disclosure_level,
        disclosure_level_label=DisclosureLevel(version.disclosure_level).label,
        fields=fields,
        article6=f"Article {Article6(version.article6_condition).label}",
        article9=(
            f"Article {Article9(version.article9_condition).label}"
            if version.article9_condition
            else ""
        ),
        statute=version.statute,
        necessity_statement=version.necessity_statement,
        conditions=version.conditions,
        requires_legitimate_relationship=version.requires_legitimate_relationship,
        overrides_objection=grant.purpose.overrides_objection,
        valid_from=version.valid_from,
        valid_until=version.valid_until,
        review_date=version.review_date,
        version=version.version,
        sentences=_sentences(version=version, fields=fields, today=today),
    )


def _field_labels(dataset_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    labels: dict[int, dict[str, str]] = {}
    for dataset_id, name, label in DatasetField.objects.filter(
        dataset_id__in=set(dataset_ids)
    ).values_list("dataset_id", "name", "label"):
        labels.setdefault(dataset_id, {})[name] = label
    return labels


def partnership_list_public() -> QuerySet[Partnership]:
    """Every partnership: each publishes a register."""
    return Partnership.objects.order_by("name")


def partnership_get_public(*, slug: str) -> Partnership:
    """The partnership whose register is asked for; 404 for an unknown slug."""
    return get_object_or_404(Partnership, slug=slug)


def register_entries(*, partnership: Partnership, today: date) -> list[RegisterEntry]:
    """Every grant version of the partnership in force today, by sharing agency (two queries)."""
    versions = list(
        GrantVersion.objects.filter(
            Q(status=GrantStatus.APPROVED, valid_from__lte=today, valid_until__gte=today),
            grant__partnership=partnership,
        )
        .select_related(
            "grant__dataset__agency",
            "grant__role",
            "grant__organisation_type",
            "grant__purpose",
        )
        .order_by(
            "grant__dataset__agency__name",
            "grant__dataset__name",
            "grant__purpose__name",
            "grant__role__name",
            "grant__organisation_type__name",
        )
    )
    labels = _field_labels(version.grant.dataset_id for version in versions)
    return [
        _entry(version=version, labels=labels.get(version.grant.dataset_id, {}), today=today)
        for version in versions
    ]


def register_entry(*, version: GrantVersion, today: date) -> RegisterEntry:
    """One version described as the register would describe it (for reminders and previews)."""
    labels = _field_labels([version.grant.dataset_id])
    return _entry(version=version, labels=labels.get(version.grant.dataset_id, {}), today=today)


def register_by_agency(entries: Iterable[RegisterEntry]) -> list[AgencyGroup]:
    """Entries grouped by sharing agency, keeping their order."""
    groups: dict[tuple[str, str], list[RegisterEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.sharing_agency, entry.sharing_agency_code), []).append(entry)
    return [
        AgencyGroup(name=name, code=code, entries=tuple(grouped))
        for (name, code), grouped in groups.items()
    ]


def csv_safe(value: str) -> str:
    """Guard a cell against spreadsheet formula injection."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def register_csv_lines(entries: Iterable[RegisterEntry]) -> Iterator[str]:
    """The register as CSV lines, starting with a UTF-8 byte order mark for spreadsheets."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow(CSV_HEADER)
    for entry in entries:
        yield writer.writerow([csv_safe(cell) for cell in entry.as_csv_row()])


def register_json(
    *, partnership: Partnership, entries: Iterable[RegisterEntry], today: date
) -> dict[str, Any]:
    return {
        "partnership": {"name": partnership.name, "slug": partnership.slug},
        "as_of": today.isoformat(),
        "agencies": [
            {
                "name": group.name,
                "code": group.code,
                "grants": [entry.as_json() for entry in group.entries],
            }
            for group in register_by_agency(entries)
        ],
    }


# Views: public, read-only, no sign-in.


@require_safe
def register_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "governance/transparency/index.html",
        {"partnerships": partnership_list_public()},
    )


def _csv_response(*, partnership: Partnership, entries: list[RegisterEntry]) -> HttpResponseBase:
    response = StreamingHttpResponse(
        register_csv_lines(entries), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{partnership.slug}-transparency-register.csv"'
    )
    return response


def _json_response(
    *, partnership: Partnership, entries: list[RegisterEntry], today: date
) -> HttpResponseBase:
    return JsonResponse(register_json(partnership=partnership, entries=entries, today=today))


@require_safe
def register_page(request: HttpRequest, slug: str) -> HttpResponseBase:
    partnership = partnership_get_public(slug=slug)
    today = timezone.localdate()
    entries = register_entries(partnership=partnership, today=today)
    requested = request.GET.get("format", "")
    if requested == "csv":
        return _csv_response(partnership=partnership, entries=entries)
    if requested == "json":
        return _json_response(partnership=partnership, entries=entries, today=today)
    return render(
        request,
        "governance/transparency/register.html",
        {
            "partnership": partnership,
            "groups": register_by_agency(entries),
            "entry_count": len(entries),
            "today": today,
        },
    )


@require_safe
def register_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    partnership = partnership_get_public(slug=slug)
    entries = register_entries(partnership=partnership, today=timezone.localdate())
    return _csv_response(partnership=partnership, entries=entries)


@require_safe
def register_json_view(request: HttpRequest, slug: str) -> HttpResponseBase:
    partnership = partnership_get_public(slug=slug)
    today = timezone.localdate()
    entries = register_entries(partnership=partnership, today=today)
    return _json_response(partnership=partnership, entries=entries, today=today)


urlpatterns = [
    path("", register_index, name="transparency-index"),
    path("<slug:slug>.csv", register_csv, name="transparency-register-csv"),
    path("<slug:slug>.json", register_json_view, name="transparency-register-json"),
    path("<slug:slug>/", register_page, name="transparency-register"),
]
