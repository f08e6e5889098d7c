"""Request and response shapes of the agencies API. Thin: no rules here."""

from __future__ import annotations

from rest_framework import serializers

from agencies.models import ExtractKind


class ExtractUploadSerializer(serializers.Serializer[dict[str, object]]):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="UTF-8 CSV with a header row, optionally gzip-compressed (detected by content).",
    )
    kind = serializers.ChoiceField(
        choices=ExtractKind.choices,
        default=ExtractKind.FULL,
        help_text="full: replaces every record of the dataset. delta: changes only.",
    )
    validate_only = serializers.BooleanField(
        default=False, help_text="Check the file and report its problems; load nothing."
    )
    process = serializers.ChoiceField(
        choices=[("nightly", "In tonight's run"), ("now", "Now")],
        default="nightly",
        help_text="When to load the file (check-only files are checked at once).",
    )


class ExtractRunSerializer(serializers.Serializer[dict[str, object]]):
    """A run, as `selectors.extract_run_summary` gives it, with its links."""

    run = serializers.IntegerField()
    url = serializers.URLField()
    report_json = serializers.URLField()
    report_csv = serializers.URLField()
    page = serializers.URLField()
    extract = serializers.IntegerField()
    kind = serializers.CharField()
    validate_only = serializers.BooleanField()
    received_at = serializers.CharField()
    sha256 = serializers.CharField()
    status = serializers.CharField()
    step = serializers.CharField()
    progress = serializers.IntegerField()
    finished = serializers.BooleanField()
    rows_total = serializers.IntegerField()
    rows_rejected = serializers.IntegerField()
    error_count = serializers.IntegerField()
    problems_not_stored = serializers.IntegerField()
    problem_counts = serializers.DictField(child=serializers.IntegerField())
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    retired = serializers.IntegerField()
    linked = serializers.IntegerField()
    started_at = serializers.CharField(allow_null=True)
    finished_at = serializers.CharField(allow_null=True)
    step_timings = serializers.DictField(child=serializers.FloatField())
    failure_message = serializers.CharField(allow_blank=True)
