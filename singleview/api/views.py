"""The practitioner API: thin views over the same selectors and services as the browser pages,
so the same purpose rule, policy decisions and audit events. Every read names its purpose:

    curl --fail-with-body -H "Authorization: Token T" \\
        "https://HOST/api/v1/people?purpose=direct-care&family_name=Smith&postcode=SN1%204AB"

A read the selectors refuse answers 404 after its refusal is recorded; a read the access log
cannot record answers 503 and shows nothing.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from governance import policy
from matching.search import SearchError
from singleview import selectors, services
from singleview.api.access import PractitionerAPIView
from singleview.api.serializers import (
    ErrorSerializer,
    PersonCardSerializer,
    PersonGoneSerializer,
    PersonPageSerializer,
    PurposeParametersSerializer,
    PurposeSerializer,
    RelationshipRecordedSerializer,
    RelationshipSerializer,
    SearchParametersSerializer,
    SearchResultsSerializer,
)

TAG = "Practitioners"
# A 400's body: each parameter named, with its messages (`non_field_errors`: the whole request).
FIELD_ERRORS = dict[str, list[str]]
NO_PURPOSE = OpenApiResponse(
    FIELD_ERRORS,
    description="No purpose, or one you may not declare, or a missing justification: the "
    "errors name the parameter. Nothing was read.",
)
NOT_SHOWN = OpenApiResponse(
    ErrorSerializer,
    description="No such person in your partnership, or nothing you may see for this purpose "
    "(a refusal, recorded in the access log).",
)
MERGED = OpenApiResponse(
    PersonGoneSerializer,
    description="The person's records were merged with another person's: Location is the same "
    "address for that person, with the same query string.",
)
GATE = {
    401: OpenApiResponse(
        ErrorSerializer, description="No token, or one that has expired or been revoked."
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not a practitioner's token, or not from one of your agency's networks.",
    ),
}
NOT_RECORDED = OpenApiResponse(
    ErrorSerializer,
    description="The access log could not record the read, so nothing was shown.",
)


class PurposeListAPIView(PractitionerAPIView):
    """The purposes you may declare: those your role has a grant in force for."""

    needs_purpose = False

    @extend_schema(
        operation_id="purposes_list",
        tags=[TAG],
        responses={200: PurposeSerializer(many=True), **GATE},
    )
    def get(self, request: Request) -> Response:
        purposes = policy.purposes_available(user=self.user).order_by("is_emergency", "name")
        return Response([PurposeSerializer(purpose).data for purpose in purposes])


class PersonSearchAPIView(PractitionerAPIView):
    """Search for a person: at least two of last name, date of birth and postcode, or an NHS
    number. Each result carries only the demographics some grant shares, and the agencies that
    know the person. Every search is recorded, refused ones too."""

    @extend_schema(
        operation_id="people_search",
        tags=[TAG],
        parameters=[PurposeParametersSerializer, SearchParametersSerializer],
        responses={
            200: SearchResultsSerializer,
            400: OpenApiResponse(
                FIELD_ERRORS,
                description="No purpose (nothing recorded), or a search that may not run: too "
                "few details, wildcards, an invalid date, postcode or NHS number (recorded as "
                "refused). The errors name the parameter; `non_field_errors` the search as a "
                "whole.",
            ),
            503: NOT_RECORDED,
            **GATE,
        },
    )
    def get(self, request: Request) -> Response:
        given = SearchParametersSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        try:
            results = selectors.person_search(
                user=self.user,
                declared=self.declared,
                terms=given.validated_data,
                request=request._request,
            )
        except SearchError as error:
            raise ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name: [message]
                    for name, message in error.errors.items()
                }
            ) from error
        return Response(SearchResultsSerializer(results).data)


class PersonAPIView(PractitionerAPIView):
    """A person: one card per agency dataset at the level the policy decides for your purpose,
    each with exactly the fields granted. Under a break-glass purpose the read is recorded as
    break-glass and the data owners' IG officers are alerted at once."""

    @extend_schema(
        operation_id="person_retrieve",
        tags=[TAG],
        parameters=[PurposeParametersSerializer],
        responses={
            200: PersonPageSerializer,
            308: MERGED,
            400: NO_PURPOSE,
            404: NOT_SHOWN,
            503: NOT_RECORDED,
            **GATE,
        },
    )
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        page = selectors.person_page(
            user=self.user, declared=self.declared, public_id=public_id, request=request._request
        )
        return Response(PersonPageSerializer(page).data)


class PersonCardAPIView(PractitionerAPIView):
    """One dataset's card of a person, recorded on its own."""

    @extend_schema(
        operation_id="person_card_retrieve",
        tags=[TAG],
        parameters=[PurposeParametersSerializer],
        responses={
            200: PersonCardSerializer,
            308: MERGED,
            400: NO_PURPOSE,
            404: NOT_SHOWN,
            503: NOT_RECORDED,
            **GATE,
        },
    )
    def get(self, request: Request, public_id: uuid.UUID, dataset_id: int) -> Response:
        person, card = selectors.person_card(
            user=self.user,
            declared=self.declared,
            public_id=public_id,
            dataset_id=dataset_id,
            request=request._request,
        )
        body = {"id": person.public_id, "break_glass": self.declared.is_break_glass, "card": card}
        return Response(PersonCardSerializer(body).data)


class RelationshipAPIView(PractitionerAPIView):
    """Record your legitimate relationship with a person (recorded in the access log): cards
    whose grants need one open after this, for LEGITIMATE_RELATIONSHIP_DURATION."""

    @extend_schema(
        operation_id="person_relationship_create",
        tags=[TAG],
        parameters=[PurposeParametersSerializer],
        request=RelationshipSerializer,
        responses={
            201: RelationshipRecordedSerializer,
            308: MERGED,
            400: NO_PURPOSE,
            404: NOT_SHOWN,
            503: NOT_RECORDED,
            **GATE,
        },
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        person = selectors.person_get(user=self.user, public_id=public_id)
        given = RelationshipSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            relationship = services.relationship_record(
                user=self.user,
                declared=self.declared,
                person=person,
                kind=given.validated_data["kind"],
                detail=given.validated_data["detail"],
                request=request._request,
            )
        except DjangoValidationError as error:
            raise ValidationError(
                error.message_dict
                if hasattr(error, "error_dict")
                else {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
            ) from error
        return Response(
            RelationshipRecordedSerializer(relationship).data, status=status.HTTP_201_CREATED
        )
