"""The search core: normalised queries, the two-identifier rule and field-by-field scores."""

import pytest

from matching.search import Candidate, SearchError, keys_for, query_parse, score


def _query(**terms):
    return query_parse(terms)


def test_keys_are_normalised_from_any_spelling():
    keys = keys_for(
        family_name="  SMITH-jones ",
        date_of_birth="12/03/1950",
        postcode="sn14ab",
        nhs_number="943 476 5919",
    )

    assert keys.birth == "1950-03-12"
    assert keys.birth_year == 1950
    assert keys.postcode == "SN1 4AB"
    assert keys.district == "SN1"
    assert keys.nhs_number == "9434765919"
    assert (
        keys.family_code
        == keys_for(family_name="Smith", date_of_birth="", postcode="", nhs_number="").family_code
    )


@pytest.mark.parametrize(
    "terms",
    [
        {"family_name": "Smith"},
        {"given_name": "Jo", "family_name": "Smith"},
        {"date_of_birth": "1950-03-12"},
        {"postcode": "SN1 4AB"},
    ],
)
def test_one_identifier_is_not_enough(terms):
    with pytest.raises(SearchError) as error:
        query_parse(terms)

    assert "at least two" in error.value.errors["__all__"]


def test_an_nhs_number_is_enough_on_its_own():
    assert query_parse({"nhs_number": "9434765919"}).nhs_number == "9434765919"


def test_a_first_name_alone_with_a_date_asks_for_the_last_name():
    with pytest.raises(SearchError) as error:
        query_parse({"given_name": "Jo", "date_of_birth": "1950-03-12"})

    assert "family_name" in error.value.errors


def test_swapped_day_and_month_are_both_looked_up():
    assert _query(family_name="Smith", date_of_birth="1950-03-12").birth_values() == (
        "1950-03-12",
        "1950-12-03",
    )


def test_nickname_and_swapped_date_score_as_a_match():
    fit = score(
        _query(given_name="Peggy", family_name="Smith", date_of_birth="1950-12-03"),
        Candidate("Margaret", "Smith", "1950-03-12", "SN1 4AB", ""),
    )

    assert fit is not None
    assert fit.agreed == {"given_name", "family_name", "date_of_birth"}


def test_exact_details_outrank_near_ones():
    query = _query(given_name="Margaret", family_name="Smith", date_of_birth="1950-03-12")
    exact = score(query, Candidate("Margaret", "Smith", "1950-03-12", "", ""))
    near = score(query, Candidate("Margret", "Smyth", "1950-03-13", "", ""))

    assert exact is not None
    assert near is not None
    assert exact.weight > near.weight
    assert exact.strength == "strong"


def test_a_record_agreeing_on_one_field_is_not_a_result():
    query = _query(family_name="Smith", date_of_birth="1950-03-12")

    assert score(query, Candidate("John", "Smith", "1971-08-01", "", "")) is None


def test_a_contradicting_nhs_number_is_not_a_result():
    query = _query(family_name="Smith", date_of_birth="1950-03-12", nhs_number="9434765919")

    assert score(query, Candidate("Margaret", "Smith", "1950-03-12", "", "9990000018")) is None
