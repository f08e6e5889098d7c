"""Downloads of the access log: the dashboard's filtered events and the subject access report, as
CSV (streamed, formula-guarded, UTF-8 with a byte order mark) and PDF (WeasyPrint, with the
dashboard's charts). Plain rendering only: the views record each download as an export event
(`audit.events.record_export`) before the response starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from audit import charts
from audit.models import AccessEvent
from audit.selectors import DailyBreakdown, DashboardFigures
from singleview.csv_export import csv_lines

EVENT_HEADER = (
    "Event",
    "When (UK time)",
    "Username",
    "Name",
    "Agency",
    "Organisation type",
    "Job role",
    "What they did",
    "Outcome",
    "Purpose",
    "Justification",
    "Case reference",
    "People (Single View ids)",
    "What was shown",
    "Search terms",
    "Results",
)
# A PDF is for reading: beyond this many events, download the CSV.
PDF_EVENT_LIMIT = 2000


def disclosed_text(disclosures: Iterable[dict[str, Any]]) -> str:
    """What an event disclosed, per dataset, in one line."""
    parts = []
    for item in disclosures:
        fields = f" ({', '.join(item.get('fields') or [])})" if item.get("fields") else ""
        parts.append(
            f"{item.get('dataset_code', '')}: {item.get('level', '')}{fields}, "
            f"grant {item.get('grant_id', '')} version {item.get('grant_version', '')}"
        )
    return "; ".join(parts)


def event_row(event: AccessEvent) -> list[object]:
    terms = event.search_terms if isinstance(event.search_terms, dict) else {}
    return [
        event.pk,
        timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
        event.username,
        event.user_full_name,
        event.agency_name,
        event.organisation_type,
        event.role_name,
        event.get_action_display(),
        event.get_outcome_display(),
        event.purpose_name,
        event.justification,
        event.case_reference,
        "; ".join(str(person_id) for person_id in event.person_ids),
        disclosed_text(event.disclosures),
        "; ".join(f"{name}: {value}" for name, value in terms.items()),
        "" if event.result_count is None else event.result_count,
    ]


def events_csv_lines(events: Iterable[AccessEvent]) -> Iterator[str]:
    """Events as CSV lines (pass an iterator over a queryset to stream a large log)."""
    return csv_lines(EVENT_HEADER, (event_row(event) for event in events))


# Charts for the page and the PDF -----------------------------------------------------------------


def _chart(title: str, breakdown: DailyBreakdown) -> str:
    series = [charts.Series(name=name, counts=counts) for name, counts in breakdown.series]
    return charts.data_uri(charts.daily_chart(title=title, days=breakdown.days, series=series))


def dashboard_charts(figures: DashboardFigures) -> dict[str, str]:
    """The dashboard's charts as SVG data URIs, by name."""
    users = figures.top_users
    return {
        "by_agency": _chart("Events per day by agency", figures.by_agency),
        "by_purpose": _chart("Events per day by purpose", figures.by_purpose),
        "by_action": _chart("Events per day by what was done", figures.by_action),
        "break_glass": _chart("Break-glass uses per day", figures.break_glass),
        "top_users": charts.data_uri(
            charts.bar_chart(
                title="Busiest users",
                labels=[user.full_name or user.username for user in users],
                values=[user.events for user in users],
            )
        ),
    }


# PDF ---------------------------------------------------------------------------------------------


def pdf_render(template_name: str, context: dict[str, Any]) -> bytes:
    """A template rendered to PDF. WeasyPrint is imported here: it is heavy, and only exports
    need it."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(template_name, context)
    # Only the data URIs we embed are read: no files, no network.
    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


def first_events(
    events: QuerySet[AccessEvent], limit: int = PDF_EVENT_LIMIT
) -> tuple[list[AccessEvent], bool]:
    """The first `limit` events and whether there were more (one query)."""
    rows = list(events[: limit + 1])
    return rows[:limit], len(rows) > limit
