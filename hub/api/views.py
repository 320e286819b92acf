"""The partner API's views: each checks the key's scope, calls a selector or a service, and answers."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from auditlog.context import set_extra_data
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, parsers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api import selectors, serializers
from hub.api.keys import api_key_touch
from hub.api.models import ApiKey, EntityGrant
from hub.api.permissions import client_address
from hub.api.problems import KINDS, PROBLEM_CONTENT_TYPE, TYPE_PREFIX, Problem
from hub.api.services import (
    Caller,
    dead_letter_replay_by_key,
    flow_start,
    push_accept,
    push_record_errors,
)
from hub.catalog.models import Entity, Record
from hub.flows.models import DeadLetter, Flow

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PATTERN = re.compile(r"^[\x21-\x7e]{1,150}$")  # visible ASCII, like Stripe's keys
MAX_BODY_BYTES = 5 * 1024 * 1024


class SafeJSONParser(parsers.JSONParser):
    """JSON too deeply nested for Python's parser is a client error, not a crash."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise Problem("The JSON is nested too deeply.", status_code=400, kind="malformed-json") from None


class PartnerView(APIView):
    """Base of every API view: a key of an active partner, from an allowed address, within its rate."""

    parser_classes = [SafeJSONParser]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with contextlib.ExitStack() as self.audit_context:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        caller = self.caller
        api_key_touch(key=caller.key, address=caller.address)
        # Anything the audit trail records while this request runs carries the key and the address.
        self.audit_context.enter_context(
            set_extra_data({"cid": caller.correlation, "remote_addr": caller.address or None})
        )

    @property
    def caller(self) -> Caller:
        key = self.request.auth
        assert isinstance(key, ApiKey)  # HasPartnerKey let the request in
        return Caller(key=key, address=client_address(self.request))


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    body = {"type": TYPE_PREFIX + "not-found", "title": KINDS[404][1], "status": 404,
            "detail": "The API has no such address: see /api/v1/docs/.", "instance": request.path}  # fmt: skip
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


class Forbidden(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, status_code=status.HTTP_403_FORBIDDEN)


# Flows -------------------------------------------------------------------------------------------------


class FlowList(PartnerView):
    @extend_schema(
        summary="Flows this key may push into or start", responses=serializers.FlowSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        flows = selectors.key_flows(self.caller.key)
        return Response(serializers.FlowSerializer(flows, many=True).data)


def key_flow(key: ApiKey, flow_id: int) -> Flow:
    flow = selectors.key_flows(key).filter(pk=flow_id).first()
    if flow is None:
        raise Problem("This key has no flow with this id.", status_code=status.HTTP_404_NOT_FOUND)
    return flow


class RunStart(PartnerView):
    @extend_schema(
        summary="Start a run of a flow",
        request=None,
        responses={202: serializers.RunStartedSerializer},
    )
    def post(self, request: Request, flow_id: int) -> Response:
        flow = key_flow(self.caller.key, flow_id)
        if not getattr(flow, "may_start", False):
            raise Forbidden(f"This key may not start the flow '{flow.name}'.")
        run, created = flow_start(caller=self.caller, flow=flow)
        run.already_queued = not created  # type: ignore[attr-defined]
        return Response(serializers.RunStartedSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# Pushes and batches ------------------------------------------------------------------------------------


def idempotency_key(request: Request) -> str:
    value = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not IDEMPOTENCY_PATTERN.match(value):
        raise Problem(
            "Send an Idempotency-Key header: 1 to 150 visible ASCII characters, new for each push.",
            status_code=status.HTTP_400_BAD_REQUEST,
            kind="validation",
            errors=[{"parameter": IDEMPOTENCY_HEADER, "detail": "Missing or not valid.", "code": "invalid"}],
        )
    return value


def check_body_size(request: Request) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise Problem(
            f"The body has {length} bytes; at most {MAX_BODY_BYTES} are accepted per push.",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )


def check_batch_size(data: Any) -> None:
    records = data.get("records") if isinstance(data, dict) else None
    if isinstance(records, list) and len(records) > serializers.MAX_BATCH_RECORDS:
        raise Problem(
            f"At most {serializers.MAX_BATCH_RECORDS} records per push; this one has {len(records)}. "
            "Split it into several pushes.",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            errors=[{"pointer": "/records", "detail": "Too many records.", "code": "max_length"}],
        )


class Push(PartnerView):
    @extend_schema(
        summary="Push records into a flow",
        description="Stored before the answer (202), then processed and delivered by the flow. Retry with the "
        "same Idempotency-Key and body as often as needed: the first answer comes back. The same key with "
        "another body is refused (409).",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                pattern=IDEMPOTENCY_PATTERN.pattern,
                description="New for each push; reuse it only to retry the same push.",
            )
        ],
        request=serializers.PushSerializer,
        responses={202: serializers.PushAcceptedSerializer},
    )
    def post(self, request: Request, flow_id: int) -> Response:
        key = self.caller.key
        ikey = idempotency_key(request)
        check_body_size(request)
        flow = key_flow(key, flow_id)
        if not getattr(flow, "may_push", False):
            raise Forbidden(f"This key may not push records into the flow '{flow.name}'.")
        check_batch_size(request.data)
        incoming = serializers.PushSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        records = incoming.validated_data["records"]
        errors = push_record_errors(flow=flow, records=records)
        if errors:
            raise Problem(
                "Some records cannot be accepted: see errors.",
                status_code=400,
                kind="validation",
                errors=errors,
            )
        pushed, replayed = push_accept(caller=self.caller, flow=flow, records=records, idempotency_key=ikey)
        body = {
            "batch": pushed.batch_id,
            "flow": flow.pk,
            "record_count": pushed.batch.record_count,
            "received_at": pushed.batch.received_at,
            "stored": True,
        }
        headers = {"Location": f"/api/v1/batches/{pushed.batch_id}/"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(serializers.PushAcceptedSerializer(body).data, status=202, headers=headers)


class BatchDetail(PartnerView):
    @extend_schema(summary="What happened to each record of a push", responses=serializers.BatchSerializer)
    def get(self, request: Request, batch_id: int) -> Response:
        pushed = selectors.partner_batch(self.caller.key, batch_id)
        if pushed is None:
            raise Problem("This key's partner has no batch with this id.", status_code=404)
        return Response(serializers.BatchSerializer(selectors.batch_report(pushed)).data)


# Entities and records ----------------------------------------------------------------------------------


class EntityList(PartnerView):
    @extend_schema(summary="Entities this key may read", responses=serializers.EntitySerializer(many=True))
    def get(self, request: Request) -> Response:
        grants = selectors.readable_entities(self.caller.key)
        return Response(serializers.EntitySerializer([_entity(g) for g in grants], many=True).data)


def _entity(grant: EntityGrant) -> dict[str, Any]:
    chosen = {f.pk for f in grant.fields.all()}
    fields = [f for f in grant.entity.fields.all() if not chosen or f.pk in chosen]
    return {
        "name": grant.entity.name,
        "description": grant.entity.description,
        "may_push": grant.can_write,
        "fields": [{"name": f.name, "type": f.type, "label": f.label or f.name} for f in fields],
    }


class RecordCursor(CursorPagination):
    ordering = ("updated_at", "pk")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class RecordFilter(filters.FilterSet):
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only records changed at or after this moment (ISO 8601, e.g. 2026-11-24T10:00:00Z).",
    )

    class Meta:
        model = Record
        fields: list[str] = []


class ReadableEntityMixin(PartnerView):
    def readable(self) -> tuple[Entity, list[str]]:
        entity = Entity.objects.filter(name=self.kwargs["entity"]).first()
        if entity is None:
            raise Problem("There is no entity with this name.", status_code=404)
        grant = selectors.entity_grant(self.caller.key, entity)
        if grant is None or not grant.can_read:
            raise Forbidden(f"This key may not read {entity.name} records.")
        return entity, selectors.readable_fields(grant)


class RecordList(ReadableEntityMixin, generics.GenericAPIView):
    serializer_class = serializers.RecordSerializer
    pagination_class = RecordCursor
    filterset_class = RecordFilter
    queryset = Record.objects.none()  # the model, for the schema; the rows come from readable()

    @extend_schema(
        summary="Records of an entity, oldest change first, with provenance",
        operation_id="records_list",
        responses=serializers.RecordSerializer(many=True),
    )
    def get(self, request: Request, entity: str) -> Response:
        found, names = self.readable()
        rows: QuerySet[Record] = selectors.entity_records(found).select_related("entity")
        page = self.paginate_queryset(self.filter_queryset(rows))
        records = list(page or [])
        self.caller.audit(records, "record", f"read through the partner API ({request.path})")
        data = [selectors.visible_record(record, names) for record in records]
        return self.get_paginated_response(serializers.RecordSerializer(data, many=True).data)


class RecordDetail(ReadableEntityMixin):
    @extend_schema(summary="One record, with provenance", responses=serializers.RecordSerializer)
    def get(self, request: Request, entity: str, record_id: int) -> Response:
        found, names = self.readable()
        record = get_object_or_404(Record.objects.select_related("entity"), entity=found, pk=record_id)
        self.caller.audit([record], "record", f"read through the partner API ({request.path})")
        return Response(serializers.RecordSerializer(selectors.visible_record(record, names)).data)


# Dead letters ------------------------------------------------------------------------------------------


class DeadLetterCursor(CursorPagination):
    ordering = ("-pk",)
    page_size = 100


class DeadLetterList(PartnerView, generics.GenericAPIView):
    serializer_class = serializers.DeadLetterSerializer
    pagination_class = DeadLetterCursor
    queryset = DeadLetter.objects.none()
    filter_backends: list[Any] = []

    @extend_schema(
        summary="Records of this key's flows that could not be delivered",
        operation_id="dead_letters_list",
        responses=serializers.DeadLetterSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        key = self.caller.key
        if not key.dead_letters_read:
            raise Forbidden("This key may not see dead letters.")
        page = list(self.paginate_queryset(selectors.key_dead_letters(key)) or [])
        self.caller.audit(page, "dead letter", "listed through the partner API")
        return self.get_paginated_response(serializers.DeadLetterSerializer(page, many=True).data)


class DeadLetterReplay(PartnerView):
    @extend_schema(
        summary="Deliver a dead letter again", request=None, responses={202: serializers.DeadLetterSerializer}
    )
    def post(self, request: Request, letter_id: int) -> Response:
        key = self.caller.key
        if not key.dead_letters_replay:
            raise Forbidden("This key may not replay dead letters.")
        letter = selectors.key_dead_letters(key).filter(pk=letter_id).first()
        if letter is None:
            raise Problem("This key has no dead letter with this id.", status_code=404)
        replayed = dead_letter_replay_by_key(caller=self.caller, letter=letter)
        return Response(serializers.DeadLetterSerializer(replayed).data, status=status.HTTP_202_ACCEPTED)
