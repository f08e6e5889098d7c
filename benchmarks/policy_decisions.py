"""Benchmark of the policy decision point (governance.policy) at partnership scale.

Run it from the repository root:

    .venv/bin/python benchmarks/policy_decisions.py [--records 10000] [--repeat 5] [--seed 7]

It always uses `singleview.settings.test` and creates a throwaway test database through Django's
test runner machinery: `test_singleview_<pid>` on the PostgreSQL server at DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/singleview) when it is reachable, otherwise in-memory SQLite.
All data is synthetic, is written inside a transaction that is rolled back, and the test database
is destroyed at the end. It never reads or writes the real database.

What it builds: one partnership with five agencies and ten datasets, five job roles, three
purposes and 50 approved grants (drafted, submitted and signed off through the real services),
of which eight cover the benchmark user (a GP at a GP practice, for direct care); then 10,000
synthetic record references spread over the ten datasets, about 5% of them restricted (objection,
protected address, sealed), and a `SourceRecord` row for each.

What it times (median of --repeat runs) and prints:
  (a) `policy.snapshot` once, then `PolicySnapshot.decide` for every record (restrictions known in
      memory): decisions per second and the snapshot's query count;
  (b) `policy.decide_for_records` over all records: decisions per second and query count
      (django.test.utils.CaptureQueriesContext);
  (c) `policy.records_filter` applied to the 10,000-row SourceRecord table: the time to count and
      to fetch the visible keys, the query count, and a check that it keeps exactly the records
      (b) shows;
and, for scale, the one-at-a-time `policy.decide` on a sample, extrapolated.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "singleview.settings.test"

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.utils import timezone  # noqa: E402

from agencies.models import (  # noqa: E402
    Agency,
    Dataset,
    DatasetField,
    FieldType,
    OrganisationType,
    Partnership,
    Sensitivity,
    SourceRecord,
    User,
)
from agencies.services import user_create  # noqa: E402
from governance import policy  # noqa: E402
from governance.models import (  # noqa: E402
    Article6,
    Article9,
    DisclosureLevel,
    Purpose,
    Restriction,
    RestrictionKind,
    Role,
)
from governance.services import (  # noqa: E402
    custodian_assign,
    grant_approve,
    grant_draft,
    grant_submit,
    purpose_create,
    role_create,
)

T = TypeVar("T")

FIELDS: list[tuple[str, str, str]] = [
    ("given_name", "Given name", Sensitivity.NONE),
    ("family_name", "Family name", Sensitivity.NONE),
    ("date_of_birth", "Date of birth", Sensitivity.NONE),
    ("address", "Address", Sensitivity.LOCATION),
    ("postcode", "Postcode", Sensitivity.LOCATION),
    ("care_package", "Care package", Sensitivity.HEALTH),
    ("key_worker", "Key worker", Sensitivity.NONE),
    ("last_contact", "Last contact", Sensitivity.NONE),
]
AGENCIES = [
    ("Avonshire County Council", "local_authority"),
    ("Avonshire Police", "police_force"),
    ("Avonshire Hospitals", "acute_trust"),
    ("Avonshire Mental Health", "mental_health_trust"),
    ("Riverside Surgery", "gp_practice"),
]
ROLES = ["GP", "Social worker", "Police officer", "Nurse", "MASH practitioner"]
PURPOSES = [("direct-care", "Direct care", False), ("safeguarding", "Safeguarding", True)]
PURPOSES += [("care-planning", "Care planning", False)]
LEVELS = [DisclosureLevel.SUMMARY, DisclosureLevel.FULL, DisclosureLevel.KNOWN_TO]


def _timed(function: Callable[[], T], repeat: int) -> tuple[T, float]:
    """The result of the last run and the median wall time in seconds."""
    times = []
    result: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds else "n/a"


def _build(*, records: int, rng: random.Random) -> dict[str, Any]:
    today = timezone.localdate()
    partnership = Partnership.objects.create(name="Benchmark Partnership", slug="benchmark")
    agencies = [
        Agency.objects.create(
            partnership=partnership,
            organisation_type=OrganisationType.objects.get(code=type_code),
            name=name,
            code=f"BM{index}",
        )
        for index, (name, type_code) in enumerate(AGENCIES)
    ]
    admin = user_create(
        agency=agencies[0],
        username="bench-admin",
        email="admin@bench.invalid",
        first_name="Bench",
        last_name="Admin",
        user_types=["partnership_admin"],
    )
    roles = [
        role_create(partnership=partnership, code=f"role-{index}", name=name)
        for index, name in enumerate(ROLES)
    ]
    purposes: list[Purpose] = [
        purpose_create(
            partnership=partnership,
            code=code,
            name=name,
            description=f"{name}.",
            overrides_objection=overrides,
        )
        for code, name, overrides in PURPOSES
    ]
    datasets: list[Dataset] = []
    custodians: dict[int, User] = {}
    for agency in agencies:
        for number in range(2):
            dataset = Dataset.objects.create(
                agency=agency, code=f"ds-{agency.code}-{number}", name=f"{agency.name} {number}"
            )
            DatasetField.objects.bulk_create(
                DatasetField(
                    dataset=dataset,
                    name=name,
                    label=label,
                    field_type=FieldType.STRING,
                    sensitivity=sensitivity,
                    position=position,
                )
                for position, (name, label, sensitivity) in enumerate(FIELDS)
            )
            custodian = user_create(
                agency=agency,
                username=f"custodian-{dataset.code}",
                email=f"{dataset.code}@bench.invalid",
                first_name="Custodian",
                last_name=dataset.code,
                user_types=["custodian"],
            )
            custodian_assign(dataset=dataset, user=custodian)
            custodians[dataset.pk] = User.objects.get(pk=custodian.pk)
            datasets.append(dataset)

    gp_practice = OrganisationType.objects.get(code="gp_practice")
    audience = (roles[0], gp_practice, purposes[0])
    other_types = list(OrganisationType.objects.exclude(pk=gp_practice.pk).order_by("code"))
    lines = [(dataset, *audience) for dataset in datasets[:8]]
    for role in roles:
        for organisation_type in [gp_practice, *other_types]:
            for purpose in purposes:
                for dataset in datasets:
                    if len(lines) < 50 and (role, organisation_type, purpose) != audience:
                        lines.append((dataset, role, organisation_type, purpose))
    for index, (dataset, role, organisation_type, purpose) in enumerate(lines):
        level = LEVELS[index % len(LEVELS)]
        version = grant_draft(
            drafted_by=admin,
            dataset=dataset,
            role=role,
            organisation_type=organisation_type,
            purpose=purpose,
            disclosure_level=level,
            field_names=(
                ["given_name", "family_name", "address", "care_package"]
                if level == DisclosureLevel.SUMMARY
                else []
            ),
            article6_condition=Article6.E,
            article9_condition=Article9.H,
            statute="Care Act 2014 s.6",
            necessity_statement="Synthetic benchmark grant.",
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=335),
            review_date=today + timedelta(days=150),
        )
        grant_submit(version=version, user=admin)
        grant_approve(version=version, custodian=custodians[dataset.pk], reason="Benchmark.")

    refs = [
        policy.RecordRef(datasets[index % len(datasets)].pk, f"R{index:07d}")
        for index in range(records)
    ]
    kinds = [RestrictionKind.OBJECTION, RestrictionKind.PROTECTED_ADDRESS, RestrictionKind.SEALED]
    restricted = {
        ref: frozenset({kinds[rng.randrange(len(kinds))]})
        for ref in rng.sample(refs, k=records // 20)
    }
    # Bulk rows, not restriction_create: setting up 500 restrictions is not what is measured.
    Restriction.objects.bulk_create(
        Restriction(
            dataset_id=ref.dataset_id,
            source_key=ref.source_key,
            kind=next(iter(kinds_of)),
            reason="Synthetic benchmark restriction.",
            created_by=custodians[ref.dataset_id],
        )
        for ref, kinds_of in restricted.items()
    )
    SourceRecord.objects.bulk_create(
        (SourceRecord(dataset_id=ref.dataset_id, source_key=ref.source_key) for ref in refs),
        batch_size=2000,
    )
    practitioner = user_create(
        agency=agencies[4],
        username="bench-gp",
        email="gp@bench.invalid",
        first_name="Bench",
        last_name="GP",
        user_types=["practitioner"],
        role_id=roles[0].pk,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "user": User.objects.select_related("agency").get(pk=practitioner.pk),
        "purpose": purposes[0],
        "refs": refs,
        "restricted": restricted,
        "grant_count": len(lines),
        "role_count": Role.objects.filter(partnership=partnership).count(),
    }


def _run(*, records: int, repeat: int, seed: int) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    world = _build(records=records, rng=rng)
    user, purpose, refs = world["user"], world["purpose"], world["refs"]
    restricted: dict[policy.RecordRef, frozenset[str]] = world["restricted"]
    print(
        f"Built {world['grant_count']} approved grants, {world['role_count']} roles, "
        f"{len(refs):,} record refs ({len(restricted):,} restricted) and {len(refs):,} source "
        f"records in {time.perf_counter() - started:.1f} s."
    )

    # (a) one snapshot, then in-memory decisions.
    with CaptureQueriesContext(connection) as snapshot_queries:
        snapshot = policy.snapshot(user=user, purpose=purpose)
    _, snapshot_time = _timed(lambda: policy.snapshot(user=user, purpose=purpose), repeat)

    def decide_all() -> list[policy.Disclosure]:
        return [snapshot.decide(ref.dataset_id, restricted.get(ref, frozenset())) for ref in refs]

    decisions, decide_time = _timed(decide_all, repeat)
    print()
    print("(a) policy.snapshot + PolicySnapshot.decide for every record")
    print(
        f"    snapshot: {snapshot_time * 1000:.2f} ms, {len(snapshot_queries)} queries; "
        f"grants in force for the user: {len(snapshot.dataset_ids)} datasets"
    )
    print(
        f"    {len(decisions):,} decisions in {decide_time * 1000:.1f} ms: "
        f"{_rate(len(decisions), decide_time)} "
        f"(with the snapshot: {_rate(len(decisions), decide_time + snapshot_time)})"
    )

    # (b) decide_for_records: snapshot, restrictions and decisions at a fixed query cost.
    with CaptureQueriesContext(connection) as bulk_queries:
        bulk = policy.decide_for_records(user=user, purpose=purpose, records=refs)
    bulk, bulk_time = _timed(
        lambda: policy.decide_for_records(user=user, purpose=purpose, records=refs), repeat
    )
    outcomes = Counter(
        disclosure.level or f"withheld: {disclosure.withheld}" for disclosure in bulk.values()
    )
    address_hidden = sum(
        1
        for disclosure in bulk.values()
        if RestrictionKind.PROTECTED_ADDRESS in disclosure.restrictions and disclosure.shown
    )
    print()
    print("(b) policy.decide_for_records")
    print(
        f"    {len(bulk):,} decisions in {bulk_time * 1000:.1f} ms: {_rate(len(bulk), bulk_time)}; "
        f"{len(bulk_queries)} queries"
    )
    print(
        "    outcomes: "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(outcomes.items()))
        + f"; shown under a protected-address restriction: {address_hidden:,}"
    )
    assert bulk == dict(zip(refs, decisions, strict=True)), "(a) and (b) disagree"

    # (c) records_filter compiled into a queryset over the SourceRecord table.
    visible_by_decision = {
        (ref.dataset_id, ref.source_key) for ref, disclosure in bulk.items() if disclosure.shown
    }

    def filtered() -> set[tuple[int, str]]:
        condition = policy.records_filter(user=user, purpose=purpose)
        return set(
            SourceRecord.objects.filter(condition)
            .order_by()
            .values_list("dataset_id", "source_key")
        )

    def counted() -> int:
        return SourceRecord.objects.filter(
            policy.records_filter(user=user, purpose=purpose)
        ).count()

    with CaptureQueriesContext(connection) as filter_queries:
        visible = filtered()
    visible, fetch_time = _timed(filtered, repeat)
    count, count_time = _timed(counted, repeat)
    table_rows = SourceRecord.objects.count()
    print()
    print(f"(c) policy.records_filter on a SourceRecord table of {table_rows:,} rows")
    print(
        f"    count(): {count:,} visible rows in {count_time * 1000:.1f} ms; "
        f"fetch keys: {fetch_time * 1000:.1f} ms ({_rate(table_rows, fetch_time)} rows checked); "
        f"{len(filter_queries)} queries (snapshot and filter)"
    )
    print(
        "    same rows as (b) shows: "
        + ("yes" if visible == visible_by_decision else "NO (mismatch)")
    )
    assert visible == visible_by_decision, "(b) and (c) disagree"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            sql, params = (
                SourceRecord.objects.filter(policy.records_filter(user=user, purpose=purpose))
                .order_by()
                .values("pk")
                .query.sql_with_params()
            )
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        print("    plan: " + " | ".join(line.strip() for line in plan[:6]))

    # For scale: one decision at a time, as a naive caller would.
    sample = refs[:200]
    with CaptureQueriesContext(connection) as single_queries:
        started = time.perf_counter()
        for ref in sample:
            policy.decide(
                user=user, purpose=purpose, dataset_id=ref.dataset_id, source_key=ref.source_key
            )
        single_time = time.perf_counter() - started
    print()
    print("For scale: policy.decide one record at a time")
    print(
        f"    {len(sample)} decisions in {single_time * 1000:.1f} ms: "
        f"{_rate(len(sample), single_time)}, {len(single_queries)} queries; "
        f"{len(refs):,} records would take about {single_time / len(sample) * len(refs):.1f} s "
        f"and {len(single_queries) // len(sample) * len(refs):,} queries"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()

    setup_test_environment()
    old_config = setup_databases(
        verbosity=0, interactive=False, aliases={"default": False}, serialized_aliases=set()
    )
    try:
        name = connection.settings_dict["NAME"]
        if connection.vendor != "sqlite" and not str(name).startswith("test_"):
            raise SystemExit(f"Refusing to run outside a test database (connected to {name}).")
        print(f"Database: {connection.vendor} ({name}), a throwaway test database.")
        with transaction.atomic():
            _run(records=options.records, repeat=options.repeat, seed=options.seed)
            transaction.set_rollback(True)
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
    return 0


if __name__ == "__main__":
    sys.exit(main())
