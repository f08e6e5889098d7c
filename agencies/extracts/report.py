"""A run's error report as JSON and CSV: pure, plain data in and out (no Django).

Reports hold row numbers, column names, codes and messages, never values from the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from agencies.extracts.validation import PROBLEM_CODES, Problem, csv_safe

REPORT_COLUMNS = ("row", "column", "code", "message")


def report_json(*, summary: Mapping[str, Any], problems: Iterable[Problem]) -> dict[str, Any]:
    """The report: the run's summary, every stored problem, and what each code means."""
    listed: list[dict[str, Any]] = [
        {"row": p.row, "column": p.column, "code": p.code, "message": p.message} for p in problems
    ]
    codes = sorted({p["code"] for p in listed} | set(summary.get("problem_counts", {})))
    return {
        **summary,
        "problems": listed,
        "codes": {code: PROBLEM_CODES.get(code, "") for code in codes},
    }


def report_csv(*, problems: Iterable[Problem]) -> str:
    """One line per stored problem, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for p in problems:
        writer.writerow([p.row, csv_safe(p.column), p.code, csv_safe(p.message)])
    return buffer.getvalue()
