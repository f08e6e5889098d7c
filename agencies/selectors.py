"""Reads of tenant data. Every selector takes the requesting user and stays in their partnership."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from agencies.models import Agency, Dataset, User


def agency_list(*, user: User) -> QuerySet[Agency]:
    return (
        Agency.objects.for_partnership(user.partnership)
        .select_related("organisation_type")
        .annotate(dataset_count=Count("datasets"))
    )


def agency_get(*, user: User, pk: int) -> Agency:
    """The user's partnership's agency, or 404 (never 403) for anyone else's."""
    return get_object_or_404(
        Agency.objects.for_partnership(user.partnership).select_related("organisation_type"),
        pk=pk,
    )


def dataset_list(*, user: User, agency: Agency | None = None) -> QuerySet[Dataset]:
    datasets = Dataset.objects.filter(agency__partnership=user.partnership).select_related("agency")
    if agency is not None:
        datasets = datasets.filter(agency=agency)
    return datasets.prefetch_related("fields")


def staff_list(*, user: User) -> QuerySet[User]:
    return User.objects.for_partnership(user.partnership).select_related("agency", "role")
