"""Hand-written SQL read through `agencies.sql.Columns`: the same values and instances the ORM
gives, on PostgreSQL and SQLite alike."""

import pytest

from agencies import sql
from governance.models import DisclosureLevel, GrantVersion, Purpose
from tests.factories import (
    AgencyFactory,
    PurposeFactory,
    RoleFactory,
    dataset_with_fields,
    grant_in_force,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    agency = AgencyFactory()
    return grant_in_force(
        dataset=dataset_with_fields(agency=agency, fields={"given_name": "none"}, code="asc"),
        role=RoleFactory(partnership=agency.partnership),
        organisation_type=agency.organisation_type,
        purpose=PurposeFactory(partnership=agency.partnership, overrides_objection=True),
        field_names=["given_name"],
        requires_legitimate_relationship=True,
    )


def test_values_are_converted_as_the_orm_converts_them(version):
    # Given a grant version with a JSON list, a boolean, dates and a time
    names = ("field_names", "requires_legitimate_relationship", "valid_from", "decided_at")
    columns = sql.Columns(GrantVersion, "gv", names)

    # When its row is read with plain SQL
    (row,) = sql.rows(
        f"SELECT {columns.sql} FROM {sql.table(GrantVersion)} gv WHERE gv.id = %s",  # noqa: S608 - model names
        [version.pk],
    )

    # Then each value is what the ORM reads
    expected = GrantVersion.objects.filter(pk=version.pk).values_list(*names).get()
    assert columns.values(row) == list(expected)
    assert columns.values(row)[0] == ["given_name"]
    assert columns.values(row)[1] is True


def test_many_rows_are_converted_each_from_where_their_columns_start(version):
    # Given two grant versions, read with a leading column before the model's own
    other = grant_in_force(
        dataset=version.grant.dataset,
        role=version.grant.role,
        organisation_type=version.grant.organisation_type,
        purpose=PurposeFactory(partnership=version.grant.partnership),
        disclosure_level=DisclosureLevel.KNOWN_TO,
        field_names=[],
    )
    names = ("field_names", "requires_legitimate_relationship", "valid_from")
    columns = sql.Columns(GrantVersion, "gv", names)
    found = sql.rows(
        f"SELECT gv.id, {columns.sql} FROM {sql.table(GrantVersion)} gv "  # noqa: S608 - model names
        "WHERE gv.id IN (%s, %s) ORDER BY gv.id",
        [version.pk, other.pk],
    )

    # When their columns are converted together
    converted = columns.values_of(found, 1)

    # Then each row's values are what the ORM reads for that version
    expected = {
        pk: list(values)
        for pk, *values in GrantVersion.objects.filter(pk__in=[version.pk, other.pk]).values_list(
            "pk", *names
        )
    }
    assert converted == [expected[row[0]] for row in found]
    assert [values[0] for values in converted] == [["given_name"], []]


def test_instances_hold_every_column_or_defer_the_rest(version):
    whole = sql.Columns(Purpose, "pu")
    some = sql.Columns(Purpose, "pu", ("id", "code"))
    query = "SELECT {} FROM " + sql.table(Purpose) + " pu WHERE pu.id = %s"  # noqa: S608 - model names

    (row,) = sql.rows(query.format(whole.sql), [version.grant.purpose_id])
    (part,) = sql.rows(query.format(some.sql), [version.grant.purpose_id])
    purpose = whole.instance(row)
    partial = some.instance(part)

    assert purpose == version.grant.purpose
    assert purpose.overrides_objection is True
    assert purpose.get_deferred_fields() == set()
    assert partial.code == purpose.code
    assert "name" in partial.get_deferred_fields()


def test_a_row_an_outer_join_did_not_find_is_none_and_never_an_empty_instance(version):
    columns = sql.Columns(Purpose, "pu")
    missing = [None] * columns.width

    assert columns.instance(missing) is None
    with pytest.raises(ValueError, match="No Purpose"):
        columns.joined(missing)


def test_one_of_finds_exactly_the_rows_named(version):
    other = PurposeFactory(partnership=version.grant.partnership)
    third = PurposeFactory(partnership=version.grant.partnership)
    condition, params = sql.one_of("pu.id", [version.grant.purpose_id, third.pk])

    found = sql.rows(
        f"SELECT pu.id FROM {sql.table(Purpose)} pu WHERE {condition}",  # noqa: S608 - model names
        params,
    )

    assert {row[0] for row in found} == {version.grant.purpose_id, third.pk}
    assert other.pk not in {row[0] for row in found}


@pytest.mark.postgres
def test_on_postgresql_one_of_reads_the_same_statement_however_many_values():
    one, _ = sql.one_of("pu.id", [1])
    many, params = sql.one_of("pu.id", [1, 2, 3])

    assert one == many == "pu.id = ANY(%s)"
    assert params == [[1, 2, 3]]
