"""singleview.csv_export, the shared CSV writer (kept with the exports that use it)."""

from __future__ import annotations

import pytest

from singleview.csv_export import csv_lines, csv_safe


@pytest.mark.parametrize("cell", ["=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_is_guarded(cell):
    assert csv_safe(cell) == f"'{cell}"


def test_the_lines_start_with_a_byte_order_mark_and_guard_every_cell():
    lines = list(csv_lines(["Name", "=Head"], [["Ada", "=1"], [None, 3]]))

    assert lines == ["\ufeff", "Name,'=Head\r\n", "Ada,'=1\r\n", ",3\r\n"]
