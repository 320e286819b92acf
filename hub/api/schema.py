"""The OpenAPI description: the key scheme, and the problem documents every operation may answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from hub.api.problems import PROBLEM_CONTENT_TYPE

EVERY_OPERATION = ("400", "401", "403", "404", "406", "429")
WITH_BODY = ("409", "413", "415")


class ProblemAutoSchema(AutoSchema):
    """Adds the RFC 9457 error responses to each operation, so clients and schemathesis know them."""

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        from hub.api.serializers import ProblemSerializer

        responses = super()._get_response_bodies(direction)
        codes = EVERY_OPERATION + (WITH_BODY if self.method in ("POST", "PUT", "PATCH") else ())
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ProblemSerializer, code, [PROBLEM_CONTENT_TYPE], direction
                )
        return dict(sorted(responses.items()))


def register_extensions() -> None:
    """Imported for its side effect: drf-spectacular finds extensions by subclassing."""


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "hub.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Send `Authorization: Api-Key <key>`. The key is shown once, when an admin creates it.",
        }
