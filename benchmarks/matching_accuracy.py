"""Benchmark the matching core on the synthetic population: accuracy, speed and memory.

    python benchmarks/matching_accuracy.py [--records 10000 100000] [--with-1m]
        [--scales 1.0 3.0] [--seed 2025] [--workers 2] [--data-dir DIR] [--no-incremental]

For each size (records across all agencies, not people) and error scale, a population is
generated (people = records / 3.065, the generator's records per person), then a fresh process
reads the extracts, links them with a model fitted to them, and is scored against the ground
truth:

- blocking recall (true pairs that share a block);
- pairwise precision, recall and F1 (pairs of records put in one person);
- cluster-level B-cubed precision, recall and F1, and exact-cluster precision and recall;
- recall per error type (true pairs where either record has the error);
- records per second (normalise, block, compare, fit, score, cluster; reading files apart);
- peak resident memory of the linking process (ru_maxrss, before scoring the result).

Then the incremental path: an index over 99% of the records (with the fitted model) is updated
with the remaining 1% (plus a handful of changed records), timed, and checked against the full
run. Targets: F1 >= 0.99 at error scale 1.0 and >= 0.95 at 3.0; 1M records in <= 5 minutes
within 4 GB; a 1% delta against a 1M store in <= 30 s.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECORDS_PER_PERSON = 3.065


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---------------------------------------------------------------------------------------------
# The child: link one population and score it


def _read(directory: Path) -> list[Any]:
    from agencies.population import DATASETS
    from matching.normalise import RecordIn

    records: list[Any] = []
    for dataset in DATASETS:
        with (directory / f"{dataset.code}.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            columns = {name: header.index(name) for name in header}
            at = [columns[name] for name in (
                "given_name", "family_name", "date_of_birth", "sex", "postcode", "address",
                "nhs_number",
            )]  # fmt: skip
            key = columns["source_key"]
            records += [RecordIn(dataset.code, row[key], *(row[i] for i in at)) for row in reader]
    return records


def _truth(directory: Path) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    from agencies.population import GROUND_TRUTH_FILE

    person: dict[tuple[str, str], str] = {}
    errors: dict[tuple[str, str], str] = {}
    with (directory / GROUND_TRUTH_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["dataset"], row["source_key"])
            person[key] = row["person_key"]
            errors[key] = row["errors"]
    return person, errors


def _pairs_within(labels: Any) -> int:
    import numpy as np

    _, counts = np.unique(labels, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def _score(index: Any, truth: dict[Any, str], errors: dict[Any, str]) -> dict[str, Any]:
    import numpy as np

    from agencies.population import ERROR_TYPES
    from matching.blocking import blocking_recall, candidate_pairs

    keys = index.table.keys
    codes: dict[str, int] = {}
    true = np.array([codes.setdefault(truth[key], len(codes)) for key in keys], np.int64)
    predicted = index.cluster_labels()
    size = len(keys)

    first, second = candidate_pairs(index.blocks, max_block_size=index.settings.max_block_size)
    blocking = blocking_recall(first=first, second=second, truth=true.tolist())
    del first, second

    joint = true * (size + 1) + predicted
    both = _pairs_within(joint)
    true_pairs = _pairs_within(true)
    predicted_pairs = _pairs_within(predicted)
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0

    # B-cubed: per record, the overlap of its predicted and true person.
    _, joint_inverse, joint_counts = np.unique(joint, return_inverse=True, return_counts=True)
    _, true_inverse, true_counts = np.unique(true, return_inverse=True, return_counts=True)
    _, predicted_inverse, predicted_counts = np.unique(
        predicted, return_inverse=True, return_counts=True
    )
    overlap = joint_counts[joint_inverse]
    b3_precision = float(np.mean(overlap / predicted_counts[predicted_inverse]))
    b3_recall = float(np.mean(overlap / true_counts[true_inverse]))

    # Exact clusters: a predicted person whose records are exactly one true person's.
    exact = (overlap == predicted_counts[predicted_inverse]) & (
        overlap == true_counts[true_inverse]
    )
    exact_clusters = len(np.unique(predicted[exact]))
    cluster_precision = exact_clusters / len(predicted_counts)
    cluster_recall = exact_clusters / len(true_counts)

    # Recall per error type, over true pairs.
    bit = {code: 1 << position for position, code in enumerate(ERROR_TYPES)}
    masks = np.array(
        [sum(bit[code] for code in errors[key].split(";") if code) for key in keys], np.int64
    )
    order = np.argsort(true, kind="stable")
    starts = np.flatnonzero(np.r_[True, true[order][1:] != true[order][:-1]])
    sizes = np.diff(np.r_[starts, size])
    pair_first: list[Any] = []
    pair_second: list[Any] = []
    for group_size in np.unique(sizes[sizes > 1]).tolist():
        group_starts = starts[sizes == group_size]
        upper_first, upper_second = np.triu_indices(group_size, 1)
        pair_first.append(order[(group_starts[:, None] + upper_first[None, :]).reshape(-1)])
        pair_second.append(order[(group_starts[:, None] + upper_second[None, :]).reshape(-1)])
    a = np.concatenate(pair_first)
    b = np.concatenate(pair_second)
    found = predicted[a] == predicted[b]
    pair_masks = masks[a] | masks[b]
    per_error: dict[str, Any] = {}
    clean = pair_masks == 0
    per_error["(none)"] = [int(clean.sum()), float(found[clean].mean()) if clean.any() else None]
    for code in ERROR_TYPES:
        has = (pair_masks & bit[code]) != 0
        per_error[code] = [int(has.sum()), float(found[has].mean()) if has.any() else None]

    decisions = [pair.decision for pair in index.result().pairs]
    return {
        "true_persons": len(true_counts),
        "predicted_persons": len(predicted_counts),
        "true_pairs": true_pairs,
        "blocking_recall": blocking.recall,
        "candidate_pairs": blocking.candidate_pairs,
        "pair_precision": precision,
        "pair_recall": recall,
        "pair_f1": 2 * precision * recall / (precision + recall),
        "bcubed_precision": b3_precision,
        "bcubed_recall": b3_recall,
        "bcubed_f1": 2 * b3_precision * b3_recall / (b3_precision + b3_recall),
        "exact_cluster_precision": cluster_precision,
        "exact_cluster_recall": cluster_recall,
        "review_pairs": decisions.count("review"),
        "per_error": per_error,
    }


def child(arguments: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from matching.engine import LinkSettings, MatchIndex

    directory = Path(arguments["directory"])
    settings = LinkSettings(workers=arguments["workers"])
    started = time.perf_counter()
    records = _read(directory)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    index = MatchIndex.build(records, settings=settings)
    link_seconds = time.perf_counter() - started
    peak_link = _peak_rss_mib()
    model = index.model
    result: dict[str, Any] = {
        "records": len(records),
        "read_seconds": read_seconds,
        "link_seconds": link_seconds,
        "records_per_second": len(records) / link_seconds,
        "peak_rss_mib": peak_link,
        "stages": {k: round(v, 2) for k, v in index.stats.items() if k.startswith("seconds")},
        "prior_bits": model.prior_bits,
        "em_iterations": model.em_iterations,
        "weights": {
            c.name: {level: round(bits, 2) for level, bits in zip(c.levels, c.bits, strict=True)}
            for c in model.comparisons
        },
    }
    truth, errors = _truth(directory)
    result.update(_score(index, truth, errors))
    del truth, errors
    if arguments["incremental"]:
        expected = index.result().assignments
        del index
        gc.collect()
        result["incremental"] = _incremental(model, expected, records, settings)
    return result


def _incremental(
    model: Any, expected_full: Any, records: list[Any], settings: Any
) -> dict[str, Any]:
    """Index 99% of the records with the fitted model, then add the last 1% and change a few:
    the update's time, and whether it agrees with the full run over the same records."""
    from matching.engine import MatchIndex

    cut = len(records) - max(1, len(records) // 100)
    base, delta = records[:cut], records[cut:]
    changed_count = max(1, len(records) // 10_000)
    original = records[:changed_count]
    changed = [record._replace(address="", postcode="") for record in original]
    index = MatchIndex.build(base, model=model, settings=settings)
    started = time.perf_counter()
    update = index.update(upserts=[*delta, *changed])
    seconds = time.perf_counter() - started
    # Put the changed records back as they were: the store then holds exactly the full run's
    # records, and must give exactly its persons.
    index.update(upserts=original)
    same = index.result().assignments == expected_full
    return {
        "store_records": len(base),
        "delta_records": len(delta) + len(changed),
        "update_seconds": seconds,
        "persons_changed": len(update.assignments),
        "equals_full_run": same,
        "peak_rss_mib": _peak_rss_mib(),
    }


# ---------------------------------------------------------------------------------------------
# The parent: generate, run children, print


def _generate(records: int, scale: float, seed: int, directory: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from agencies.population import generate

    people = max(1, round(records / RECORDS_PER_PERSON))
    marker = directory / "summary.json"
    if marker.exists():
        return dict(json.loads(marker.read_text()))
    started = time.perf_counter()
    summary = generate(people=people, seed=seed, out_dir=directory, error_scale=scale, workers=2)
    info = {
        "people": people,
        "records": summary.total_records,
        "generate_seconds": time.perf_counter() - started,
        "records_with_errors": summary.records_with_errors / summary.total_records,
    }
    marker.write_text(json.dumps(info))
    return info


def _format(label: str, value: Any) -> str:
    return f"  {label:<34} {value}"


def _print_run(size: int, scale: float, data: dict[str, Any], run: dict[str, Any]) -> None:
    def ratio(*names: str) -> str:
        return " / ".join(f"{run[name]:.5f}" for name in names)

    print(f"\n=== {size:,} records wanted, error_scale {scale} ===")
    print(_format("people / records", f"{data['people']:,} / {run['records']:,}"))
    print(_format("records with errors", f"{data['records_with_errors']:.1%}"))
    print(
        _format(
            "blocking recall",
            f"{run['blocking_recall']:.5f} ({run['candidate_pairs']:,} candidate pairs, "
            f"{run['true_pairs']:,} true pairs)",
        )
    )
    print(_format("pairwise precision / recall / F1", ratio("pair_precision", "pair_recall",
                                                             "pair_f1")))  # fmt: skip
    print(_format("B-cubed precision / recall / F1", ratio("bcubed_precision", "bcubed_recall",
                                                            "bcubed_f1")))  # fmt: skip
    print(_format("exact-cluster precision / recall", ratio("exact_cluster_precision",
                                                             "exact_cluster_recall")))  # fmt: skip
    persons = f"{run['predicted_persons']:,} / {run['true_persons']:,}"
    print(_format("persons found / true", persons))
    print(_format("possible matches for review", f"{run['review_pairs']:,}"))
    print(_format("read files", f"{run['read_seconds']:.1f} s"))
    speed = f"{run['link_seconds']:.1f} s = {run['records_per_second']:,.0f} records/s"
    print(_format("link", speed))
    print(_format("stages (s)", ", ".join(f"{k[8:]} {v}" for k, v in run["stages"].items())))
    print(_format("peak memory (linking process)", f"{run['peak_rss_mib']:,.0f} MiB"))
    model = f"prior {run['prior_bits']:.1f} bits, {run['em_iterations']} EM iterations"
    print(_format("model", model))
    for name, levels in run["weights"].items():
        print(_format(f"  weights {name}", ", ".join(f"{k} {v:+.1f}" for k, v in levels.items())))
    print("  recall per error type (true pairs where either record has it):")
    for code, (count, value) in run["per_error"].items():
        if count:
            print(f"    {code:<24} {value:.4f}  of {count:,} pairs")
    incremental = run.get("incremental")
    if incremental:
        print(
            _format(
                "incremental: 1% delta",
                f"{incremental['delta_records']:,} records against "
                f"{incremental['store_records']:,} in {incremental['update_seconds']:.1f} s; "
                f"{incremental['persons_changed']:,} records got a new person id; "
                f"equals full run: {incremental['equals_full_run']}; "
                f"peak memory {incremental['peak_rss_mib']:,.0f} MiB",
            )
        )


def _verdicts(results: list[tuple[int, float, dict[str, Any]]]) -> None:
    print("\n=== Targets ===")
    for size, scale, run in results:
        target = 0.99 if scale <= 1.0 else 0.95
        line = (
            f"  {run['records']:>9,} records, scale {scale}: pairwise F1 {run['pair_f1']:.4f} "
            f"(target {target}) {'met' if run['pair_f1'] >= target else 'NOT MET'}"
        )
        if size >= 1_000_000:
            fast = run["link_seconds"] <= 300 and run["peak_rss_mib"] <= 4096
            line += (
                f"; {run['link_seconds']:.0f} s, {run['peak_rss_mib']:,.0f} MiB "
                f"(<= 300 s, <= 4096 MiB) {'met' if fast else 'NOT MET'}"
            )
            incremental = run.get("incremental")
            if incremental:
                quick = incremental["update_seconds"] <= 30
                line += (
                    f"; 1% delta {incremental['update_seconds']:.1f} s (<= 30 s) "
                    f"{'met' if quick else 'NOT MET'}"
                )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--with-1m", action="store_true", help="Also run 1,000,000 records.")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 3.0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--workers", type=int, default=2, help="rapidfuzz threads.")
    parser.add_argument("--data-dir", type=Path, default=None, help="Keep populations here.")
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(json.loads(options.child))))
        return
    sizes = sorted(set(options.records + ([1_000_000] if options.with_1m else [])))
    results: list[tuple[int, float, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="matching-bench-") as scratch:
        base = options.data_dir or Path(scratch)
        for size in sizes:
            for scale in options.scales:
                directory = base / f"records-{size}-scale-{scale}-seed-{options.seed}"
                directory.mkdir(parents=True, exist_ok=True)
                print(f"Generating {size:,} records at error scale {scale}...", file=sys.stderr)
                data = _generate(size, scale, options.seed, directory)
                arguments = {
                    "directory": str(directory),
                    "workers": options.workers,
                    "incremental": not options.no_incremental,
                }
                print(f"Linking {data['records']:,} records...", file=sys.stderr)
                completed = subprocess.run(  # noqa: S603 - this script, with our own arguments
                    [sys.executable, __file__, "--child", json.dumps(arguments)],
                    check=True,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                )
                run = json.loads(completed.stdout.strip().splitlines()[-1])
                _print_run(size, scale, data, run)
                results.append((size, scale, run))
                sys.stdout.flush()
    _verdicts(results)
    assert all(not math.isnan(run["pair_f1"]) for _, _, run in results)


if __name__ == "__main__":
    main()
