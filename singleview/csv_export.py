"""CSV downloads that spreadsheets open safely: UTF-8 with a byte order mark, streamed line by
line, every cell guarded against formula injection.

The transparency register (`governance.transparency`) does the same for its public CSV; new
downloads use this module.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"


def csv_safe(value: object) -> str:
    """A cell as text, guarded against spreadsheet formula injection."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The header and rows as CSV lines, starting with a UTF-8 byte order mark."""
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK
    yield writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def csv_response(lines: Iterator[str], *, filename: str) -> StreamingHttpResponse:
    """A streamed CSV download that is never cached."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
