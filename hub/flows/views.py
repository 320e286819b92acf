"""The inbound webhook: one endpoint per flow, HMAC-verified, answering 202 once the payload is stored."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hub.flows.inbound import SIGNATURE_HEADER, InboundError, inbound_accept, records_of, webhook_verify
from hub.flows.models import Flow


@csrf_exempt  # signed by HMAC instead; there is no browser session here
@require_POST
def webhook(request: HttpRequest, flow_id: int) -> JsonResponse:
    flow = Flow.objects.filter(pk=flow_id).first()
    if flow is None:
        return JsonResponse({"error": "There is no flow with this id."}, status=404)
    try:
        webhook_verify(flow=flow, body=request.body, signature=request.headers.get(SIGNATURE_HEADER, ""))
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise InboundError(f"The body is not valid JSON: {error}.", 400) from None
        batch, created = inbound_accept(
            flow=flow, records=records_of(payload), origin="webhook",
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )  # fmt: skip
    except InboundError as error:
        return JsonResponse({"error": str(error)}, status=error.status)
    return JsonResponse(
        {"batch": batch.pk, "records": batch.record_count, "stored": True, "repeat": not created}, status=202
    )
