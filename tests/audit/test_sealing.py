"""The chain's pure functions: canonical form, digests, folding, checkpoint signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ImproperlyConfigured

from audit.sealing import (
    CANONICAL_FIELDS,
    GENESIS_HASH,
    JSON_FIELDS,
    SigningKey,
    canonical_event,
    chain_fold,
    checkpoint_payload,
    checkpoint_sign,
    checkpoint_signature_valid,
    event_digest,
    pack_ids,
    signing_key,
    unpack_ids,
)
from audit.selectors import event_rows
from tests.audit.helpers import viewed


def _values(**changes):
    values = dict.fromkeys(CANONICAL_FIELDS, "")
    values.update(
        id=7,
        occurred_at=datetime(2026, 11, 21, 12, 0, 0, 123456, tzinfo=UTC),
        person_ids='["a"]',
        disclosures='[{"level": "summary", "dataset_id": 1}]',
        search_terms='{"family_name": "Ó Briain"}',
    )
    values.update(changes)
    return [values[name] for name in CANONICAL_FIELDS]


def test_the_canonical_form_does_not_depend_on_the_time_zone():
    same_moment = datetime(2026, 11, 21, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))

    assert canonical_event(_values()) == canonical_event(_values(occurred_at=same_moment))


def test_any_change_changes_the_digest():
    assert event_digest(_values()) != event_digest(_values(justification="changed"))


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical_event(_values(occurred_at=datetime(2026, 1, 1)))  # noqa: DTZ001 - the point


def test_the_chain_depends_on_order():
    first, second = event_digest(_values(id=1)), event_digest(_values(id=2))

    assert chain_fold(GENESIS_HASH, [first, second]) != chain_fold(GENESIS_HASH, [second, first])


def test_ids_pack_and_unpack():
    assert unpack_ids(pack_ids([1, 2**40, 3])) == [1, 2**40, 3]


def test_a_signature_covers_every_field_of_the_checkpoint():
    key = SigningKey(b"k" * 32)
    payload = checkpoint_payload(
        seal_number=3,
        chain_hash="ab" * 32,
        upto_event_id=99,
        event_total=90,
        created_at=datetime(2026, 11, 21, tzinfo=UTC),
    )
    signature = checkpoint_sign(payload, key)

    assert checkpoint_signature_valid(payload, signature, key)
    assert not checkpoint_signature_valid({**payload, "event_total": 89}, signature, key)
    assert not checkpoint_signature_valid(payload, signature, SigningKey(b"j" * 32))


def test_a_short_key_is_refused(settings):
    settings.AUDIT_SIGNING_KEY = "too-short"

    with pytest.raises(ImproperlyConfigured, match="at least 32 characters"):
        signing_key()


@pytest.mark.django_db
def test_json_columns_are_hashed_as_the_databases_own_text(world):
    event = viewed(world)

    (row,) = event_rows(after=event.pk - 1, upto=event.pk)

    assert [type(row[CANONICAL_FIELDS.index(name)]) for name in sorted(JSON_FIELDS)] == [str] * 4
