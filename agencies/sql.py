"""Hand-written SQL for the few reads every practitioner request makes, with Django's own field
conversions and model instances.

The ORM compiles each query afresh: on the person page that was about 40% of a request's CPU
(benchmarks/person_search.py, ADR 0015). The reads every request makes (the signed-in user, the
second factor's device, the grants of the declared purpose, search candidates, a person's
records) therefore write their SQL once, here or beside their selector, and read rows through
`Columns`, which converts values exactly as the ORM would (each field's and the backend's
converters: SQLite's dates and booleans, JSON fields) and makes instances with `Model.from_db`.
The SQL is plain and portable (PostgreSQL and SQLite): joins, IN lists and placeholders only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


class Columns(Generic[M]):
    """Some (by default all) concrete columns of a model under a table alias in a SELECT."""

    def __init__(self, model: type[M], alias: str, names: Sequence[str] = ()) -> None:
        self.model = model
        self.alias = alias
        opts = model._meta
        self.fields: list[Field[Any, Any]] = (
            [opts.get_field(name) for name in names]  # type: ignore[misc]
            if names
            else list(opts.concrete_fields)
        )
        self.attnames = [field.attname for field in self.fields]
        self.width = len(self.fields)
        self._converters: dict[str, list[tuple[int, list[Converter], Any]]] = {}
        self._sql: dict[str, str] = {}

    @property
    def sql(self) -> str:
        """The columns, comma-separated, for a SELECT list (quoted once per database vendor)."""
        database = connections[DEFAULT_DB_ALIAS]
        known = self._sql.get(database.vendor)
        if known is None:
            quote = database.ops.quote_name
            known = ", ".join(f"{self.alias}.{quote(str(field.column))}" for field in self.fields)
            self._sql[database.vendor] = known
        return known

    def values(self, row: Sequence[Any], start: int = 0) -> list[Any]:
        """This part of a row (from `start`), converted as the ORM converts these fields."""
        return self.values_of([row], start)[0]

    def values_of(self, rows: Iterable[Sequence[Any]], start: int = 0) -> list[list[Any]]:
        """`values` of many rows, finding the database and its converters once."""
        database = connections[DEFAULT_DB_ALIAS]
        conversions = self._converters_for(database)
        end = start + self.width
        converted = []
        for row in rows:
            values = list(row[start:end])
            for position, converters, expression in conversions:
                value = values[position]
                for converter in converters:
                    value = converter(value, expression, database)
                values[position] = value
            converted.append(values)
        return converted

    def instance(self, row: Sequence[Any], start: int = 0) -> M | None:
        """A model instance of this part of a row, or None where an outer join found no row (its
        first column, the primary key, is null). Columns not selected are deferred."""
        values = self.values(row, start)
        if values[0] is None:
            return None
        return self.made(values)

    def made(self, values: Sequence[Any]) -> M:
        """A model instance of values `values` has already converted."""
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, values)

    def joined(self, row: Sequence[Any], start: int = 0) -> M:
        """`instance` for a part of the row an inner join guarantees."""
        instance = self.instance(row, start)
        if instance is None:
            raise ValueError(f"No {self.model._meta.object_name} in a row that must have one.")
        return instance

    def _converters_for(self, database: Any) -> list[tuple[int, list[Converter], Any]]:
        known = self._converters.get(database.vendor)
        if known is None:
            known = []
            for position, field in enumerate(self.fields):
                expression = field.get_col(self.alias)
                converters = database.ops.get_db_converters(
                    expression
                ) + expression.get_db_converters(database)
                if converters:
                    known.append((position, converters, expression))
            self._converters[database.vendor] = known
        return known


_TABLES: dict[tuple[str, type[Model]], str] = {}


def table(model: type[Model]) -> str:
    """A model's table name, quoted for the default database (once per vendor)."""
    database = connections[DEFAULT_DB_ALIAS]
    key = (database.vendor, model)
    known = _TABLES.get(key)
    if known is None:
        known = _TABLES[key] = str(database.ops.quote_name(model._meta.db_table))
    return known


def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of one query on the default database."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def one_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """A condition that `column` is one of the values, and its parameters: on PostgreSQL
    `column = ANY(%s)` with the values as one array, so that the statement's text (and the plan
    prepared for it) is the same however many values there are; elsewhere an IN list."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
