"""What goes in and out of the API. Input serializers refuse fields they do not know."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from hub.api.selectors import RecordStatus

MAX_BATCH_RECORDS = 1000  # per push; documented in the schema (maxItems) and answered with 413 above it


class StrictSerializer(serializers.Serializer):
    """A field the API does not know is an error, not silently dropped: a typo must not lose data."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field: the API does not read it."] for name in unknown}, code="unknown"
                )
        return super().to_internal_value(data)


# In ----------------------------------------------------------------------------------------------------


class PushSerializer(StrictSerializer):
    records = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=MAX_BATCH_RECORDS,
        help_text="The records, in the shape the flow's source sends them; each with its own id. "
        f"At most {MAX_BATCH_RECORDS} per push.",
    )


# Out ---------------------------------------------------------------------------------------------------


class PushAcceptedSerializer(serializers.Serializer):
    batch = serializers.IntegerField(
        help_text="Poll /api/v1/batches/{batch}/ for what happened to each record."
    )
    flow = serializers.IntegerField()
    record_count = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    stored = serializers.BooleanField(help_text="Always true: the records are in the hub's database.")


class RecordReportSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The record's position in the push, from 0.")
    id = serializers.CharField(help_text="The record's own id, as pushed.")
    status = serializers.ChoiceField(choices=RecordStatus.choices)
    outcome = serializers.CharField(help_text="The engine's outcome: created, updated, unchanged, ...")
    reason = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For a quarantined record: what is wrong, by field.",
    )  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class
    record_id = serializers.IntegerField(allow_null=True, help_text="The hub's record, once there is one.")


class BatchCountsSerializer(serializers.Serializer):
    waiting = serializers.IntegerField()
    delivered = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    conflict = serializers.IntegerField()
    dead_lettered = serializers.IntegerField()
    discarded = serializers.IntegerField()
    unknown = serializers.IntegerField()


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    flow = serializers.IntegerField()
    flow_name = serializers.CharField()
    entity = serializers.CharField()
    received_at = serializers.DateTimeField()
    record_count = serializers.IntegerField()
    state = serializers.ChoiceField(
        choices=[("processing", "Not finished yet"), ("processed", "Every record has its outcome")]
    )
    run = serializers.IntegerField(allow_null=True)
    counts = BatchCountsSerializer()
    records = RecordReportSerializer(many=True)


class FlowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    entity = serializers.CharField(source="entity.name")
    trigger = serializers.CharField()
    state = serializers.CharField()
    business_outcome = serializers.CharField()
    may_push = serializers.BooleanField(help_text="This key may push records into it.")
    may_start = serializers.BooleanField(help_text="This key may start a run of it.")


class RunStartedSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="pk")
    flow = serializers.IntegerField(source="flow_id")
    state = serializers.CharField()
    queued_at = serializers.DateTimeField()
    already_queued = serializers.BooleanField(
        help_text="A run was already queued or running: it is that one."
    )


class FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class


class EntitySerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    may_push = serializers.BooleanField()
    fields = FieldSerializer(many=True, help_text="The fields this key may read.")  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class


class ProvenanceSerializer(serializers.Serializer):
    system = serializers.CharField(allow_null=True, help_text="The system the value came from.")
    at = serializers.CharField(allow_null=True, help_text="When the hub took it (ISO 8601).")


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    data = serializers.DictField(help_text="The values of the fields this key may read.")  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class
    provenance = serializers.DictField(child=ProvenanceSerializer(), help_text="Per field in data.")


class DeadLetterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    flow = serializers.IntegerField(source="flow_id")
    flow_name = serializers.CharField(source="flow.name")
    target = serializers.CharField(source="target.name")
    record = serializers.IntegerField(source="record_id")
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.SerializerMethodField(
        help_text="Why it could not be delivered, in general terms: the target's own answer stays with the "
        "hub's admins (it may hold another system's data)."
    )
    updated_at = serializers.DateTimeField()

    def get_last_error(self, letter: Any) -> str:
        if getattr(letter, "permanent_error", False):
            return "The target refused the record: the hub's admins have the details."
        return "The target could not take the record after its retries: the hub's admins have the details."


class ProblemErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(required=False, help_text="JSON pointer into the request body.")
    parameter = serializers.CharField(required=False, help_text="The query parameter or header.")
    detail = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="A stable URI for the kind of error.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]  # DRF's metaclass takes declared fields off the class
