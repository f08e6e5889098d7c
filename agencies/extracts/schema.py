"""The published schema of a dataset's extract files: pure, plain data in and out (no Django).

A dataset's fields (`DatasetField` rows, passed in here as plain `FieldDefinition`s) become the
columns partner IT must send. The same `ExtractSchema` drives the validator, the schema page, the
machine-readable JSON Schema and the sample CSV, so they cannot disagree.

Rules every extract follows:
- UTF-8 CSV (a byte-order mark is allowed), optionally gzip-compressed, with a header row naming
  every column once, in any order (names are matched ignoring case and surrounding spaces).
- `source_key` is always a column: the agency's own, stable reference for the record. A dataset
  that does not define it gets it anyway (text, required, at most 100 characters).
- Values are trimmed of surrounding spaces; a blank value means "not recorded".
- Dates are ISO 8601, `YYYY-MM-DD`; `date_of_birth` may also be partial, `YYYY-MM` or `YYYY`.
- NHS numbers are 10 digits with a correct Modulus 11 check digit; spaces are allowed and removed.
- Postcodes are UK postcodes; case and spacing are normalised (`sn104ay` becomes `SN10 4AY`).
- A column named `uprn` holds a Unique Property Reference Number: 1 to 12 digits.
- Booleans are `Y` or `N`; choices are one of the listed values (case is normalised).
- Text must not begin like a spreadsheet formula (see `validation.formula_like`).
- A delta may add the column `_action`: blank or `U` to add or update the record, `D` to retire
  it (only `source_key` is read on a `D` row). A full extract must not have `_action`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ColumnType = Literal[
    "string", "date", "nhs_number", "postcode", "boolean", "integer", "choice", "uprn"
]
ExtractKind = Literal["full", "delta"]

SOURCE_KEY = "source_key"
ACTION_COLUMN = "_action"
ACTION_UPSERT = "U"
ACTION_RETIRE = "D"
PARTIAL_DATE_COLUMNS = frozenset({"date_of_birth"})
UPRN_COLUMN = "uprn"
UPRN_MAX_DIGITS = 12

# The columns of a published record (agencies.models.SourceRecord) and their widths. A field with
# one of these names is stored in that column; every other field goes into the record's payload.
RECORD_COLUMNS: dict[str, int] = {
    "source_key": 100,
    "given_name": 200,
    "family_name": 200,
    "date_of_birth": 10,
    "sex": 1,
    "postcode": 10,
    "address": 500,
    "nhs_number": 10,
}
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = tuple(name for name in RECORD_COLUMNS if name != SOURCE_KEY)

TYPE_LABELS: dict[str, str] = {
    "string": "Text",
    "date": "Date",
    "nhs_number": "NHS number",
    "postcode": "UK postcode",
    "boolean": "Yes or no",
    "integer": "Whole number",
    "choice": "One of a list",
    "uprn": "UPRN",
}


class SchemaError(ValueError):
    """The dataset's definition cannot make a schema (the message says why, in a sentence)."""


class FieldDefinition(BaseModel):
    """One field of a dataset as its definition says (a `DatasetField`, as plain data)."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    field_type: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    identifying: bool = False
    sensitivity: str = "none"


class Column(BaseModel):
    """One column of an extract file and the rule its values must meet."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_][a-z0-9_-]*$")
    label: str
    type: ColumnType
    required: bool = False
    max_length: int | None = Field(default=None, ge=1)
    choices: tuple[str, ...] = ()
    partial_dates: bool = False
    identifying: bool = False
    sensitivity: str = "none"

    @model_validator(mode="after")
    def _choices_need_a_list(self) -> Column:
        if self.type == "choice" and not self.choices:
            raise ValueError(f"The choice column {self.name} lists no choices.")
        return self

    @property
    def stored_in(self) -> str:
        """The record column this value is published in, or "payload"."""
        return self.name if self.name in RECORD_COLUMNS else "payload"

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.type]

    def rule(self) -> str:
        """The rule for this column's values, in a sentence."""
        rules = {
            "string": "Any text",
            "date": (
                "A date, YYYY-MM-DD (or partial, YYYY-MM or YYYY)"
                if self.partial_dates
                else "A date, YYYY-MM-DD"
            ),
            "nhs_number": "10 digits with a valid check digit (spaces are removed)",
            "postcode": "A UK postcode, such as SN10 4AY",
            "boolean": "Y or N",
            "integer": "A whole number, such as 42 or -7",
            "choice": "One of: " + "; ".join(self.choices),
            "uprn": f"1 to {UPRN_MAX_DIGITS} digits",
        }
        rule = rules[self.type]
        if self.max_length and self.type in ("string", "integer"):
            rule += f", at most {self.max_length} characters"
        return rule + "."


class ExtractSchema(BaseModel):
    """The columns of one dataset's extract files. `source_key` is always the first."""

    model_config = ConfigDict(frozen=True)

    dataset_code: str
    dataset_name: str
    columns: tuple[Column, ...]

    @model_validator(mode="after")
    def _source_key_first_and_names_unique(self) -> ExtractSchema:
        names = [column.name for column in self.columns]
        if not names or names[0] != SOURCE_KEY:
            raise ValueError("The first column must be source_key.")
        if len(set(names)) != len(names):
            raise ValueError("Column names must be unique.")
        if ACTION_COLUMN in names:
            raise ValueError(f"{ACTION_COLUMN} is reserved for deltas.")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _column_type(definition: FieldDefinition) -> ColumnType:
    if definition.name == UPRN_COLUMN:
        return "uprn"
    known: tuple[ColumnType, ...] = (
        "string",
        "date",
        "nhs_number",
        "postcode",
        "boolean",
        "integer",
        "choice",
    )
    for column_type in known:
        if definition.field_type == column_type:
            return column_type
    raise ValueError(f"Unknown field type {definition.field_type!r} for {definition.name}.")


def _column(definition: FieldDefinition) -> Column:
    column_type = _column_type(definition)
    max_length = definition.max_length
    width = RECORD_COLUMNS.get(definition.name)
    if width is not None and column_type == "string":
        # Text stored in a record column can be no wider than the column.
        max_length = min(max_length or width, width)
    return Column(
        name=definition.name,
        label=definition.label or definition.name,
        type=column_type,
        required=definition.required or definition.name == SOURCE_KEY,
        max_length=max_length,
        choices=tuple(definition.choices) if column_type == "choice" else (),
        partial_dates=column_type == "date" and definition.name in PARTIAL_DATE_COLUMNS,
        identifying=definition.identifying,
        sensitivity=definition.sensitivity,
    )


def schema_build(
    *, dataset_code: str, dataset_name: str, fields: Iterable[FieldDefinition]
) -> ExtractSchema:
    """The extract schema of a dataset from its field definitions, in their order, with
    `source_key` first (added when the dataset does not define it). Raises `SchemaError` when
    the definition is unusable (a choice field without choices, an unknown type)."""
    try:
        return _schema_build(dataset_code=dataset_code, dataset_name=dataset_name, fields=fields)
    except (ValidationError, ValueError) as error:
        raise SchemaError(
            f"The definition of {dataset_name} cannot be used for extracts: {_reason(error)} "
            "Ask your partnership admin to correct it."
        ) from error


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        return f"{first.get('msg', 'invalid')} ({where})." if where else f"{first.get('msg')}."
    return str(error)


def _schema_build(
    *, dataset_code: str, dataset_name: str, fields: Iterable[FieldDefinition]
) -> ExtractSchema:
    columns = [_column(definition) for definition in fields]
    key = next((column for column in columns if column.name == SOURCE_KEY), None)
    if key is None:
        key = Column(
            name=SOURCE_KEY,
            label="Record reference",
            type="string",
            required=True,
            max_length=RECORD_COLUMNS[SOURCE_KEY],
            identifying=True,
        )
    others = [column for column in columns if column.name != SOURCE_KEY]
    return ExtractSchema(
        dataset_code=dataset_code, dataset_name=dataset_name, columns=(key, *others)
    )


# ---------------------------------------------------------------------------------------------
# The machine-readable schema


_PATTERNS: dict[str, str] = {
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "partial_date": r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
    "nhs_number": r"^ *([0-9] *){10}$",
    "postcode": r"^ *[A-Za-z]{1,2}[0-9][A-Za-z0-9]? *[0-9][A-Za-z]{2} *$",
    "boolean": r"^[YyNn]$",
    "integer": r"^-?[0-9]+$",
    "uprn": r"^[0-9]{1,12}$",
}


def _property(column: Column) -> dict[str, Any]:
    prop: dict[str, Any] = {
        "type": "string",
        "title": column.label,
        "description": column.rule(),
        "x-singleview-type": column.type,
        "x-singleview-stored-in": column.stored_in,
        "x-singleview-identifying": column.identifying,
        "x-singleview-sensitivity": column.sensitivity,
    }
    if column.type == "choice":
        prop["enum"] = list(column.choices) if column.required else ["", *column.choices]
        return prop
    pattern_key = "partial_date" if column.partial_dates else column.type
    pattern = _PATTERNS.get(pattern_key)
    if pattern is not None:
        prop["pattern"] = pattern if column.required else f"^$|{pattern}"
    if column.type == "date" and not column.partial_dates:
        prop["format"] = "date"
    if column.max_length:
        prop["maxLength"] = column.max_length
    if column.required:
        prop["minLength"] = 1
    return prop


def json_schema(schema: ExtractSchema, *, kind: ExtractKind = "full") -> dict[str, Any]:
    """A JSON Schema (2020-12) for one row of the extract, read as an object of strings keyed by
    column name. Rules a pattern cannot say (the NHS number check digit, real calendar dates,
    spreadsheet formulas) are in the descriptions and enforced by Single View."""
    properties = {column.name: _property(column) for column in schema.columns}
    required = list(schema.names)
    if kind == "delta":
        properties[ACTION_COLUMN] = {
            "type": "string",
            "title": "Action",
            "description": "Blank or U: add or update the record. D: retire the record.",
            "enum": ["", "U", "D", "u", "d"],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{schema.dataset_name}: one row of a {kind} extract",
        "description": (
            "Each row of the CSV file, read as an object keyed by the header. Files are UTF-8 "
            "CSV with a header row, optionally gzip-compressed. Values are trimmed; blank means "
            "not recorded. Text may not begin like a spreadsheet formula (=, +, -, @, unless "
            "+ or - begins a number or telephone number)."
        ),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "x-singleview-columns": [*schema.names, *([ACTION_COLUMN] if kind == "delta" else [])],
        "x-singleview-kind": kind,
    }


# ---------------------------------------------------------------------------------------------
# The sample file

_SAMPLE_TEXT: dict[str, tuple[str, ...]] = {
    "given_name": ("Olivia", "Mohammed", "Siobhan"),
    "family_name": ("Smith", "Khan", "O'Neill"),
    "address": ("1 High Street, Avonford", "Flat 2, 14 Mill Lane, Northgate", "7 The Green"),
}
_SAMPLE_NHS = ("9990000018", "999 000 0026", "9990000034")
_SAMPLE_POSTCODES = ("SN10 4AY", "sp1 3xf", "SN5 6JU")
_SAMPLE_DATES = ("1970-01-31", "2001-12-05", "1958-07-14")
_SAMPLE_PARTIAL_DATES = ("1970-01-31", "2001-12", "1958")


def _sample_value(column: Column, index: int) -> str:
    if column.name == SOURCE_KEY:
        return f"REF{index + 1:06d}"
    if column.type == "date":
        return (_SAMPLE_PARTIAL_DATES if column.partial_dates else _SAMPLE_DATES)[index % 3]
    if column.type == "nhs_number":
        return _SAMPLE_NHS[index % 3]
    if column.type == "postcode":
        return _SAMPLE_POSTCODES[index % 3]
    if column.type == "boolean":
        return "YN"[index % 2]
    if column.type == "integer":
        return str(index * 7 + 1)
    if column.type == "uprn":
        return str(100012345670 + index)
    if column.type == "choice":
        return column.choices[index % len(column.choices)]
    if column.name in _SAMPLE_TEXT:
        text = _SAMPLE_TEXT[column.name][index % 3]
    else:
        text = f"Example {column.label.lower()}"
    if column.max_length:
        text = text[: column.max_length]
    return text


def sample_csv(schema: ExtractSchema, *, kind: ExtractKind = "full", rows: int = 3) -> str:
    """A small, valid example extract (synthetic values; NHS numbers from the 999 test range)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = list(schema.names)
    if kind == "delta":
        header.append(ACTION_COLUMN)
    writer.writerow(header)
    for index in range(rows):
        values = [_sample_value(column, index) for column in schema.columns]
        if kind == "delta":
            values.append(ACTION_UPSERT if index < rows - 1 else ACTION_RETIRE)
        writer.writerow(values)
    return buffer.getvalue()
