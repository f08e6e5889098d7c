"""The agencies API: thin views over the extract services and selectors.

    curl --fail-with-body -H "Authorization: Token T" -F file=@people.csv.gz \\
        https://HOST/api/v1/datasets/ID/extracts

answers 202 with the run (JSON) and its URL (also in Location); the same content sent again
answers 200 with `"duplicate": true` and the run of the first copy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from agencies import selectors, services
from agencies.api.access import PartnerITAPIView
from agencies.api.serializers import ExtractRunSerializer, ExtractUploadSerializer
from agencies.extracts.report import report_csv, report_json
from agencies.extracts.schema import ExtractKind, SchemaError, json_schema
from agencies.extracts.upload import ExtractRefused, SizeLimitUploadHandler, too_large_message
from agencies.models import ExtractRun
from agencies.views import UPLOAD_OVERHEAD_BYTES

HISTORY_LENGTH = 50


def _run_body(request: Request, run: ExtractRun) -> dict[str, Any]:
    def absolute(name: str) -> str:
        return request.build_absolute_uri(reverse(name, args=[run.pk]))

    return {
        **selectors.extract_run_summary(run=run),
        "url": absolute("api-extract-run"),
        "report_json": absolute("api-extract-run-report"),
        "report_csv": absolute("api-extract-run-report-csv"),
        "page": absolute("extract-run-detail"),
    }


class DatasetExtractsAPIView(PartnerITAPIView):
    """POST: send an extract (multipart: file, kind, validate_only, process). GET: the
    dataset's latest extracts, each with its latest run."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ExtractRunSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        runs = [
            run
            for extract in selectors.extract_list(user=self.user, dataset=dataset)[:HISTORY_LENGTH]
            for run in extract.runs.all()[:1]
        ]
        return Response([_run_body(request, run) for run in runs])

    @extend_schema(
        request=ExtractUploadSerializer,
        responses={200: ExtractRunSerializer, 202: ExtractRunSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        limit = settings.EXTRACT_MAX_BYTES
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + UPLOAD_OVERHEAD_BYTES:
            return Response(
                {"detail": too_large_message(limit)},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        handler = SizeLimitUploadHandler(limit, request._request)
        request._request.upload_handlers.insert(0, handler)
        serializer = ExtractUploadSerializer(data=request.data)
        if handler.exceeded:
            return Response(
                {"detail": too_large_message(limit)},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            receipt = services.extract_receive(
                user=self.user,
                dataset=dataset,
                upload=data["file"],
                kind=data["kind"],
                validate_only=data["validate_only"],
                process_now=data["process"] == "now",
            )
        except ExtractRefused as error:
            return Response({"detail": error.message}, status=error.status)
        except SchemaError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        if receipt.run is None:
            return Response(
                {"duplicate": receipt.duplicate, "extract": receipt.extract.pk},
                status=status.HTTP_200_OK,
            )
        body = {"duplicate": receipt.duplicate, **_run_body(request, receipt.run)}
        return Response(
            body,
            status=status.HTTP_200_OK if receipt.duplicate else status.HTTP_202_ACCEPTED,
            headers={"Location": body["url"]},
        )


class DatasetProcessAPIView(PartnerITAPIView):
    """POST: process the dataset's waiting extracts now rather than tonight."""

    @extend_schema(request=None, responses={202: dict[str, int]})
    def post(self, request: Request, pk: int) -> Response:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        waiting = services.dataset_process_request(user=self.user, dataset=dataset)
        return Response({"waiting": waiting}, status=status.HTTP_202_ACCEPTED)


class DatasetSchemaAPIView(PartnerITAPIView):
    """GET: the JSON Schema of one row of the dataset's extracts (`?kind=delta` for deltas)."""

    @extend_schema(responses={200: dict[str, Any]})
    def get(self, request: Request, pk: int) -> Response:
        dataset = selectors.extract_dataset_get(user=self.user, pk=pk)
        try:
            schema = selectors.dataset_extract_schema(dataset=dataset)
        except SchemaError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        kind: ExtractKind = "delta" if request.query_params.get("kind") == "delta" else "full"
        return Response(json_schema(schema, kind=kind))


class ExtractRunAPIView(PartnerITAPIView):
    """GET: a run's status, progress and counts."""

    @extend_schema(responses={200: ExtractRunSerializer})
    def get(self, request: Request, pk: int) -> Response:
        run = selectors.extract_run_get(user=self.user, pk=pk)
        return Response(_run_body(request, run))


class ExtractRunReportAPIView(PartnerITAPIView):
    """GET: the run's error report as JSON (summary, stored problems, what each code means)."""

    @extend_schema(responses={200: dict[str, Any]})
    def get(self, request: Request, pk: int) -> Response:
        run = selectors.extract_run_get(user=self.user, pk=pk)
        summary, problems = selectors.extract_run_report(user=self.user, run=run)
        return Response(report_json(summary=summary, problems=problems))


class ExtractRunReportCSVAPIView(PartnerITAPIView):
    """GET: the run's problems as CSV (row, column, code, message)."""

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request: Request, pk: int) -> HttpResponse:
        run = selectors.extract_run_get(user=self.user, pk=pk)
        _, problems = selectors.extract_run_report(user=self.user, run=run)
        response = HttpResponse(
            report_csv(problems=problems), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="extract-run-{run.pk}.csv"'
        return response
