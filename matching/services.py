"""Running the matcher over the store. The extract pipeline calls `source_records_link`.

Until the probabilistic matcher (matching core) is wired in, records are linked on exact
identifiers only: a record with a valid NHS number joins the person who already has a record with
that number in the same partnership; any other record becomes a new person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from agencies.models import SourceRecord
from matching.models import Link, LinkMethod, LinkStatus, Person


def nhs_number_is_valid(value: str) -> bool:
    """Ten digits with a correct Modulus 11 check digit."""
    if len(value) != 10 or not value.isdigit():
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(value[9])


@dataclass(frozen=True)
class LinkSummary:
    linked_to_existing: int
    new_persons: int
    unchanged: int


@transaction.atomic
def source_records_link(*, source_record_ids: Iterable[int]) -> LinkSummary:
    """Give every listed record without an active link a person. Idempotent: records already
    linked are left as they are."""
    ids = list(source_record_ids)
    records = list(
        SourceRecord.objects.filter(pk__in=ids)
        .exclude(links__status=LinkStatus.ACTIVE)
        .select_related("dataset__agency")
        .order_by("pk")
    )
    unchanged = len(set(ids)) - len(records)
    if not records:
        return LinkSummary(linked_to_existing=0, new_persons=0, unchanged=unchanged)
    partnership_id = records[0].dataset.agency.partnership_id
    numbers = {record.nhs_number for record in records if nhs_number_is_valid(record.nhs_number)}
    known: dict[str, int] = dict(
        Link.objects.filter(
            status=LinkStatus.ACTIVE,
            source_record__nhs_number__in=numbers,
            person__partnership_id=partnership_id,
        ).values_list("source_record__nhs_number", "person_id")
    )
    existing = new = 0
    links: list[Link] = []
    for record in records:
        if record.dataset.agency.partnership_id != partnership_id:
            raise ValueError("Records of one call must belong to one partnership.")
        number = record.nhs_number if nhs_number_is_valid(record.nhs_number) else ""
        person_id = known.get(number) if number else None
        if person_id is None:
            person_id = Person.objects.create(partnership_id=partnership_id).pk
            new += 1
            method = LinkMethod.NEW
            if number:
                known[number] = person_id
        else:
            existing += 1
            method = LinkMethod.EXACT
        links.append(Link(source_record=record, person_id=person_id, method=method))
    Link.objects.bulk_create(links)
    return LinkSummary(linked_to_existing=existing, new_persons=new, unchanged=unchanged)
