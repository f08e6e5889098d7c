"""The search results' filters: the terms a result agreed on, and the name a result shows."""

from singleview.selectors import ShownField
from singleview.templatetags.search_results import agreed_terms, shown_name


def test_agreed_terms_are_named_as_the_form_names_them_in_its_order():
    assert agreed_terms({"date_of_birth", "family_name"}) == "last name and date of birth"
    assert (
        agreed_terms({"postcode", "given_name", "family_name"})
        == "first name, last name and postcode"
    )
    assert agreed_terms({"nhs_number"}) == "NHS number"


def test_shown_name_is_given_then_family_name_and_empty_when_none_is_shared():
    demographics = (
        ShownField("family_name", "Family name", "Berry"),
        ShownField("date_of_birth", "Date of birth", "19 May 2003"),
        ShownField("given_name", "Given name", "Harrison"),
    )

    assert shown_name(demographics) == "Harrison Berry"
    assert shown_name(demographics[1:2]) == ""
