"""Request and response shapes of the practitioner API. Thin: no rules here. The responses are
the selectors' own results (search results, person page, card), shaped as JSON: a card's records
carry exactly the fields the policy disclosed, nothing read beside them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.models import DisclosureLevel, Purpose, RelationshipKind
from singleview import services
from singleview.selectors import Card, PersonPage, SearchResult

# The purpose every read names -------------------------------------------------------------------


class PurposeParametersSerializer(serializers.Serializer[dict[str, str]]):
    """Query parameters of every read: why this request is made."""

    purpose = serializers.CharField(
        max_length=60,
        help_text="The code of one of your purposes (GET /api/v1/purposes).",
        error_messages={
            "required": "Say why you are looking: give the code of one of your purposes "
            "(GET /api/v1/purposes lists them).",
            "blank": "Say why you are looking: give the code of one of your purposes "
            "(GET /api/v1/purposes lists them).",
        },
    )
    justification = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=2000,
        help_text="Why you need to look, in your own words: required (at least "
        f"{services.MIN_JUSTIFICATION} characters) where the purpose says so, and for every "
        "break-glass purpose.",
    )
    case_reference = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=100,
        help_text="An incident, referral or case number, recorded with each read.",
    )


class PurposeSerializer(serializers.Serializer[Purpose]):
    code = serializers.CharField(help_text="Give this as the `purpose` parameter.")
    name = serializers.CharField()
    description = serializers.CharField()
    requires_justification = serializers.SerializerMethodField()
    break_glass = serializers.BooleanField(
        source="is_emergency",
        help_text="Emergency access: every person viewed is recorded as break-glass and the "
        "data owners' IG officers are alerted at once.",
    )
    holds_for_minutes = serializers.SerializerMethodField(
        help_text="How long a declaration lasts on the purpose page (the API asks every "
        "request for its purpose)."
    )

    def get_requires_justification(self, purpose: Purpose) -> bool:
        return services.purpose_needs_justification(purpose)

    def get_holds_for_minutes(self, purpose: Purpose) -> int:
        return int(services.purpose_lifetime(purpose).total_seconds() // 60)


# Search ------------------------------------------------------------------------------------------


class SearchParametersSerializer(serializers.Serializer[dict[str, str]]):
    """What the practitioner knows of the person. At least two of last name, date of birth and
    postcode, or an NHS number: the search's own rule (`matching.search.query_parse`)."""

    given_name = serializers.CharField(default="", allow_blank=True, help_text="First name.")
    family_name = serializers.CharField(default="", allow_blank=True, help_text="Last name.")
    date_of_birth = serializers.CharField(
        default="",
        allow_blank=True,
        help_text="YYYY-MM-DD, or the year alone. A day and month typed the wrong way round "
        "are found too.",
    )
    postcode = serializers.CharField(
        default="", allow_blank=True, help_text="A full postcode, or its first half."
    )
    nhs_number = serializers.CharField(
        default="", allow_blank=True, help_text="10 digits, spaces allowed. Enough on its own."
    )


class KnownToSerializer(serializers.Serializer[Any]):
    dataset = serializers.CharField(source="dataset_code")
    dataset_name = serializers.CharField()
    agency = serializers.CharField(source="agency_name")


class SearchResultSerializer(serializers.Serializer[SearchResult]):
    id = serializers.UUIDField(source="person.public_id")
    match = serializers.CharField(source="score.strength", help_text="strong, good or possible.")
    agreed = serializers.SerializerMethodField(help_text="The fields searched for that agree.")
    demographics = serializers.SerializerMethodField(
        help_text="The name, date of birth and postcode, where some grant shares them."
    )
    known_to = KnownToSerializer(many=True, help_text="Datasets that know the person.")

    def get_agreed(self, result: SearchResult) -> list[str]:
        return sorted(result.score.agreed)

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_demographics(self, result: SearchResult) -> dict[str, str]:
        return {item.name: item.value for item in result.demographics}


class SearchResultsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(help_text="How many people match.")
    total_at_least = serializers.BooleanField(
        help_text="The search was broad enough that more people than `total` may match."
    )
    capped = serializers.BooleanField(
        help_text="Only the best matches are listed: say more about the person to narrow it."
    )
    results = SearchResultSerializer(many=True)


# The person page ---------------------------------------------------------------------------------


class FreshnessSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=["never", "fresh", "stale"])
    stale = serializers.BooleanField(
        help_text="The agency has not sent this dataset within its refresh cadence: check with "
        "them before acting on it."
    )
    due_at = serializers.DateTimeField(allow_null=True)
    cadence_days = serializers.SerializerMethodField()

    def get_cadence_days(self, freshness: Any) -> int:
        return int(freshness.cadence.days)


class CardSerializer(serializers.Serializer[Card]):
    dataset_id = serializers.IntegerField(
        source="dataset.pk", help_text="Open this card on its own at .../cards/<dataset_id>."
    )
    dataset = serializers.CharField(source="dataset.code")
    dataset_name = serializers.CharField(source="dataset.name")
    agency = serializers.CharField(source="dataset.agency.name")
    level = serializers.ChoiceField(
        choices=DisclosureLevel.choices,
        help_text="known_to: only that the agency knows the person; summary: the granted fields; "
        "full: every field of the dataset.",
    )
    grant_version = serializers.IntegerField(
        source="disclosure.grant_version", allow_null=True, help_text="The grant allowing this."
    )
    locked = serializers.BooleanField(
        help_text="Known-to only until you record your relationship with the person "
        "(POST .../relationships)."
    )
    labels = serializers.SerializerMethodField(
        help_text="The fields disclosed (name: label), in the dataset's order. Empty at known-to."
    )
    records = serializers.SerializerMethodField(
        help_text="The agency's records of the person: each an object of exactly the fields "
        "disclosed, as display text. Empty at known-to."
    )
    known_to_contact = serializers.CharField(
        source="dataset.known_to_contact", help_text="Whom to ask at the agency."
    )
    freshness = FreshnessSerializer()
    extracted_at = serializers.DateTimeField(
        allow_null=True, help_text="When the agency's latest extract was published."
    )

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_labels(self, card: Card) -> dict[str, str]:
        first = card.records[0] if card.records else ()
        return {item.name: item.label for item in first}

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    )
    def get_records(self, card: Card) -> list[dict[str, str]]:
        return [{item.name: item.value for item in record} for record in card.records]


class PersonPageSerializer(serializers.Serializer[PersonPage]):
    id = serializers.UUIDField(source="person.public_id")
    break_glass = serializers.BooleanField(
        help_text="Read under a break-glass purpose: recorded as such, IG officers alerted."
    )
    cards = CardSerializer(many=True, help_text="One per agency dataset, at the level granted.")
    possible_matches = serializers.SerializerMethodField(
        help_text="Other people who may be this person, not confirmed: kept apart."
    )

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_possible_matches(self, page: PersonPage) -> list[str]:
        return [str(match.public_id) for match in page.possible_matches]


class PersonCardSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="The person's id.")
    break_glass = serializers.BooleanField()
    card = CardSerializer()


# Relationships -----------------------------------------------------------------------------------


class RelationshipSerializer(serializers.Serializer[dict[str, str]]):
    kind = serializers.ChoiceField(
        choices=RelationshipKind.choices,
        error_messages={"required": "Choose your relationship with this person."},
    )
    detail = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=300,
        help_text="Needed for `other`: what the relationship is (for example a referral number).",
    )


class RelationshipRecordedSerializer(serializers.Serializer[Any]):
    person = serializers.UUIDField(source="person.public_id")
    kind = serializers.CharField()
    detail = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


# Errors, for the schema --------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class PersonGoneSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    id = serializers.UUIDField(help_text="The person these records now belong to.")
