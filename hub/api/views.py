"""The partner API's views: each checks the key's scope, calls a selector or a service, and answers."""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import re
from datetime import UTC
from typing import Any

from auditlog.context import set_extra_data
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, parsers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api import selectors, serializers
from hub.api.keys import api_key_touch
from hub.api.models import ApiKey, EntityGrant, PartnerBatch
from hub.api.paging import IdCursor, KeysetCursor
from hub.api.permissions import client_address
from hub.api.problems import KINDS, PROBLEM_CONTENT_TYPE, TYPE_PREFIX, Problem
from hub.api.services import (
    Caller,
    dead_letter_replay_by_key,
    flow_start,
    key_used,
    push_accept,
    push_earlier,
    push_record_errors,
    push_replay,
)
from hub.catalog.models import Entity, Record
from hub.flows.models import DeadLetter, Flow

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PATTERN = re.compile(r"^[\x21-\x7e]{1,150}$")  # visible ASCII, like Stripe's keys
MAX_BODY_BYTES = 5 * 1024 * 1024


class NotFinite(ValueError):
    """A number JSON can write but no column can hold: 1e400, NaN, Infinity."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotFinite(text)
    return value


def _no_constant(text: str) -> float:
    raise NotFinite(text)


class SafeJSONParser(parsers.JSONParser):
    """JSON too deeply nested for Python's parser, or with numbers out of range, is a client error."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            return json.load(
                codecs.getreader(encoding)(stream), parse_float=_finite, parse_constant=_no_constant
            )
        except RecursionError:
            raise Problem("The JSON is nested too deeply.", status_code=400, kind="malformed-json") from None
        except NotFinite as number:
            raise Problem(
                f"The number {str(number)[:40]} is out of range: numbers must be finite.",
                status_code=400,
                kind="malformed-json",
            ) from None
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None


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

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        key = request.auth if isinstance(request.auth, ApiKey) else getattr(request, "refused_key", None)
        if isinstance(key, ApiKey):
            key_used(
                key=key, address=client_address(request), request=request, status_code=response.status_code
            )
        return response

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
        earlier = push_earlier(caller=self.caller, idempotency_key=ikey)
        if earlier is not None:  # a retry: answered as it was first, whatever has changed since
            try:
                data = request.data
            except exceptions.ParseError:
                data = None  # not the body of the first push
            return _accepted(push_replay(earlier=earlier, flow_id=flow_id, data=data), replayed=True)
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
        return _accepted(pushed, replayed=replayed)


def _accepted(pushed: PartnerBatch, *, replayed: bool) -> Response:
    body = {
        "batch": pushed.batch_id,
        "flow": pushed.batch.flow_id,
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


class BoundedIsoDateTimeField(IsoDateTimeField):
    """A moment the database can compare: 0001-01-01T00:00+05:00 is valid ISO 8601 but before year 1 in UTC."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise DjangoValidationError("Enter a valid date/time.", code="invalid")
        try:
            moment = super().clean(value)
            if moment is not None:
                moment.astimezone(UTC)
        except OverflowError:
            raise DjangoValidationError("This moment is out of range.", code="invalid") from None
        return moment


class BoundedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class RecordFilter(filters.FilterSet):
    updated_since = BoundedIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only records changed at or after this moment (ISO 8601, e.g. 2026-11-24T10:00:00Z).",
    )

    class Meta:
        model = Record
        fields: list[str] = []


class ReadableEntityMixin(PartnerView):
    def readable(self) -> tuple[Entity, list[str]]:
        name = str(self.kwargs["entity"])
        entity = Entity.objects.filter(name=name).first() if _storable(name) else None
        grant = selectors.entity_grant(self.caller.key, entity) if entity is not None else None
        if entity is None or grant is None or not grant.can_read:  # not there for this key: as no entity
            raise Problem("This key has no entity with this name to read.", status_code=404)
        return entity, selectors.readable_fields(grant)


def _storable(text: str) -> bool:
    """Text a database can compare: no NUL (PostgreSQL refuses it), at most a column's length."""
    return "\x00" not in text and len(text) <= 300


class RecordList(ReadableEntityMixin, generics.GenericAPIView):
    serializer_class = serializers.RecordSerializer
    pagination_class = KeysetCursor
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


class DeadLetterList(PartnerView, generics.GenericAPIView):
    serializer_class = serializers.DeadLetterSerializer
    pagination_class = IdCursor
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
