"""Normalisation rules of the matching core: plain pytest, no database."""

from __future__ import annotations

import pytest

from matching.normalise import (
    Address,
    BirthDate,
    Postcode,
    RecordIn,
    address_normalise,
    date_of_birth_parse,
    dates_compatible,
    dates_swapped,
    family_name_normalise,
    family_name_parts,
    given_name_corrections,
    given_names_normalise,
    names_are_nicknames,
    names_are_variants,
    nhs_number_normalise,
    postcode_normalise,
    record_normalise,
    sex_normalise,
    text_fold,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("ZOË", "zoe"), ("Søren", "soren"), ("Łukasz", "lukasz"), ("Renée-Ann", "renee-ann")],
)
def test_text_fold_removes_case_and_accents(raw: str, folded: str) -> None:
    assert text_fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("Mr John", ("john",)),
        ("  DR.  Jane   ", ("jane",)),
        ("Mrs Mary-Ann", ("mary", "ann")),
        ("John Paul", ("john", "paul")),
        ("Miss", ("miss",)),  # a title alone is kept: it may be a name
        ("J.", ("j",)),
    ],
)
def test_given_names_lose_titles_case_and_punctuation(raw: str, tokens: tuple[str, ...]) -> None:
    assert given_names_normalise(raw) == tokens


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("O'Brien", ("obrien",)),
        ("O Brien", ("obrien",)),
        ("Mc Donald", ("mcdonald",)),
        ("de la Cruz", ("delacruz",)),
        ("Smith-Jones", ("smith", "jones")),
        ("SMITH JONES", ("smith", "jones")),
        ("Smith Jr", ("smith",)),
    ],
)
def test_family_names_keep_double_barrelled_parts(raw: str, parts: tuple[str, ...]) -> None:
    assert family_name_parts(raw) == parts


def test_family_name_as_one_token_joins_its_parts() -> None:
    assert family_name_normalise("Hughes-Morgan") == family_name_normalise("hughes morgan")


@pytest.mark.parametrize(
    ("first", "second"),
    [("peggy", "margaret"), ("jack", "john"), ("bill", "william"), ("maggie", "peggy")],
)
def test_nicknames_match_their_formal_names_and_each_other(first: str, second: str) -> None:
    assert names_are_nicknames(first, second)


@pytest.mark.parametrize(("first", "second"), [("alexander", "alexandra"), ("john", "mary")])
def test_different_names_are_not_nicknames(first: str, second: str) -> None:
    assert not names_are_nicknames(first, second)


def test_a_mistyped_nickname_is_a_variant_of_the_formal_name() -> None:
    assert given_name_corrections("bbby") >= {"bobby"}
    assert names_are_variants("bbby", "robert")


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("1980-05-03", BirthDate(1980, 5, 3)),
        ("03/05/1980", BirthDate(1980, 5, 3)),
        ("19800503", BirthDate(1980, 5, 3)),
        ("1980-05-03T00:00:00", BirthDate(1980, 5, 3)),
        ("1980-13-05", BirthDate(1980, 5, 13)),  # month above 12: read day-first
        ("1980-05", BirthDate(1980, 5)),
        ("1980", BirthDate(1980)),
        ("1980-02-30", None),
        ("soon", None),
        ("", None),
    ],
)
def test_dates_of_birth_full_partial_and_impossible(raw: str, parsed: BirthDate | None) -> None:
    assert date_of_birth_parse(raw) == parsed


def test_a_day_month_swap_is_recognised() -> None:
    assert dates_swapped(BirthDate(1980, 5, 3), BirthDate(1980, 3, 5))
    assert not dates_swapped(BirthDate(1980, 5, 3), BirthDate(1981, 3, 5))


def test_a_partial_date_is_compatible_with_the_full_date() -> None:
    assert dates_compatible(BirthDate(1980, 5), BirthDate(1980, 5, 3))
    assert not dates_compatible(BirthDate(1980, 6), BirthDate(1980, 5, 3))


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("sn14ab", Postcode("SN1", "4AB")),
        ("SN1  4AB", Postcode("SN1", "4AB")),
        ("SN1 OAB", Postcode("SN1", "0AB")),  # a letter O where the digit 0 belongs
        ("SN1", Postcode("SN1")),
        ("not a postcode", None),
    ],
)
def test_postcodes_are_normalised(raw: str, parsed: Postcode | None) -> None:
    assert postcode_normalise(raw) == parsed


def test_postcode_parts() -> None:
    postcode = Postcode("SN10", "4AB")

    assert (postcode.text, postcode.sector, postcode.district, postcode.area) == (
        "SN10 4AB",
        "SN10 4",
        "SN10",
        "SN",
    )


def test_addresses_expand_abbreviations_and_separate_numbers() -> None:
    assert address_normalise("Flat 4, Kestrel Ct, 12 A High St, Northgate SN1 4AB") == Address(
        numbers="4 12a", words="flat kestrel court high street northgate"
    )


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("9990812489", "9990812489"),
        ("999 081 2489", "9990812489"),
        ("999-081-2489", "9990812489"),
        ("9990812488", ""),  # wrong check digit: treated as missing
        ("1111111111", ""),  # one digit repeated
        ("99908124", ""),
    ],
)
def test_nhs_numbers_need_a_valid_check_digit(raw: str, number: str) -> None:
    assert nhs_number_normalise(raw) == number


@pytest.mark.parametrize(("raw", "sex"), [("M", "M"), ("female", "F"), ("U", ""), ("", "")])
def test_sex_unknown_is_missing(raw: str, sex: str) -> None:
    assert sex_normalise(raw) == sex


def test_a_record_is_normalised_field_by_field() -> None:
    record = RecordIn(
        "gp", "1", " Mrs Peggy ", "SMITH-JONES", "03/05/1980", "f", "sn14ab", "4 High St", "123"
    )

    normalised = record_normalise(record)

    assert normalised.key == ("gp", "1")
    assert normalised.given_name == "peggy"
    assert normalised.family_parts == ("smith", "jones")
    assert normalised.birth == BirthDate(1980, 5, 3)
    assert normalised.sex == "F"
    assert normalised.postcode == Postcode("SN1", "4AB")
    assert normalised.nhs_number == ""
