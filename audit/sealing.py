"""The hash chain and signed checkpoints, as pure functions over plain values (no database).

An event's digest is SHA-256 of its canonical form: a JSON array of a format tag and the values of
`CANONICAL_FIELDS` in that order (`audit.selectors.event_rows` reads them), no spaces, times in
UTC to the microsecond, and the JSON columns as the database's own text of them (PostgreSQL's
jsonb text is normalised; SQLite keeps the text it was given), so they are not parsed again. The
chain runs through the events in id order: h = SHA-256(h_prev || digest), starting from
`GENESIS_HASH`; each seal then binds its own number and id range into its chain hash, which the
next seal names as its previous hash. A checkpoint is the chain hash at one seal, signed with
HMAC-SHA256 under a key kept outside the database (AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

EVENT_FORMAT = "singleview-audit-event-v1"
CHECKPOINT_FORMAT = "singleview-audit-checkpoint-v1"
GENESIS_HASH = hashlib.sha256(b"singleview-audit-chain-v1").hexdigest()
DIGEST_SIZE = 32
ID_SIZE = 8
MIN_KEY_LENGTH = 32

# Every stored field of an event, in the order they are hashed. Changing it needs a new
# EVENT_FORMAT (and a verifier that knows both). JSON_FIELDS are hashed as the database's text.
CANONICAL_FIELDS: tuple[str, ...] = (
    "id",
    "occurred_at",
    "action",
    "outcome",
    "partnership_id",
    "user_id",
    "username",
    "user_full_name",
    "agency_id",
    "agency_code",
    "agency_name",
    "organisation_type",
    "role_code",
    "role_name",
    "purpose_id",
    "purpose_code",
    "purpose_name",
    "purpose_of_use",
    "justification",
    "case_reference",
    "person_ids",
    "disclosures",
    "search_terms",
    "result_count",
    "detail",
    "request_id",
    "client_address",
    "user_agent",
)
JSON_FIELDS = frozenset({"person_ids", "disclosures", "search_terms", "detail"})


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Audit times must be timezone-aware.")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def canonical_event(values: Sequence[object]) -> bytes:
    """The bytes hashed for one event: its values in CANONICAL_FIELDS order."""
    if len(values) != len(CANONICAL_FIELDS):
        raise ValueError(f"An event has {len(CANONICAL_FIELDS)} values, not {len(values)}.")
    return json.dumps(
        [EVENT_FORMAT, *(_plain(value) for value in values)],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def event_digest(values: Sequence[object]) -> bytes:
    return hashlib.sha256(canonical_event(values)).digest()


def chain_fold(previous_hash: str, digests: Iterable[bytes]) -> str:
    """The chain hash after these event digests, in order."""
    running = bytes.fromhex(previous_hash)
    for digest in digests:
        running = hashlib.sha256(running + digest).digest()
    return running.hex()


def seal_hash(
    *, number: int, after_event_id: int, upto_event_id: int, event_count: int, events_hash: str
) -> str:
    """A seal's chain hash: the events' chain hash bound to the seal's number and id range."""
    header = struct.pack(">4sQqqQ", b"seal", number, after_event_id, upto_event_id, event_count)
    return hashlib.sha256(header + bytes.fromhex(events_hash)).hexdigest()


def pack_ids(ids: Sequence[int]) -> bytes:
    return struct.pack(f">{len(ids)}q", *ids)


def unpack_ids(packed: bytes) -> list[int]:
    if len(packed) % ID_SIZE:
        raise ValueError("A packed id list is a whole number of 8-byte ids.")
    return list(struct.unpack(f">{len(packed) // ID_SIZE}q", packed))


def unpack_digests(packed: bytes) -> list[bytes]:
    if len(packed) % DIGEST_SIZE:
        raise ValueError("A packed digest list is a whole number of 32-byte digests.")
    return [packed[start : start + DIGEST_SIZE] for start in range(0, len(packed), DIGEST_SIZE)]


@dataclass(frozen=True)
class SigningKey:
    secret: bytes

    @property
    def key_id(self) -> str:
        """Names the key without revealing it, so that a rotation shows in the checkpoints."""
        return hashlib.sha256(b"singleview-audit-key-id" + self.secret).hexdigest()[:16]


def signing_key() -> SigningKey | None:
    """The checkpoint key from AUDIT_SIGNING_KEY, else the file AUDIT_SIGNING_KEY_FILE names;
    None when neither is set (checkpoints are then unsigned)."""
    secret: bytes = settings.AUDIT_SIGNING_KEY.encode()
    if not secret and settings.AUDIT_SIGNING_KEY_FILE:
        secret = Path(settings.AUDIT_SIGNING_KEY_FILE).read_bytes().strip()
    if not secret:
        return None
    if len(secret) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"The audit signing key must be at least {MIN_KEY_LENGTH} characters long."
        )
    return SigningKey(secret)


def checkpoint_payload(
    *,
    seal_number: int,
    chain_hash: str,
    upto_event_id: int,
    event_total: int,
    created_at: datetime,
) -> dict[str, object]:
    """What a checkpoint signature covers."""
    return {
        "format": CHECKPOINT_FORMAT,
        "seal_number": seal_number,
        "chain_hash": chain_hash,
        "upto_event_id": upto_event_id,
        "event_total": event_total,
        "created_at": _plain(created_at),
    }


def _signed_bytes(payload: Mapping[str, object]) -> bytes:
    return json.dumps(dict(payload), sort_keys=True, separators=(",", ":")).encode()


def checkpoint_sign(payload: Mapping[str, object], key: SigningKey) -> str:
    return hmac.new(key.secret, _signed_bytes(payload), hashlib.sha256).hexdigest()


def checkpoint_signature_valid(
    payload: Mapping[str, object], signature: str, key: SigningKey
) -> bool:
    return hmac.compare_digest(checkpoint_sign(payload, key), signature)
