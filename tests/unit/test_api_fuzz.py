"""Property-based fuzzing of /api/v1 from its own OpenAPI document (schemathesis):
whatever a client sends, the API answers without a server error (no 5xx), as an HQ key
and as a one-store key. Bounded (a few examples per operation, derandomized) so the whole
run stays well under two minutes."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.unit.api_fixtures import ApiWorld

EXAMPLES = 15


def test_no_server_error_on_any_generated_request(api: ApiWorld) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def fuzz(case) -> None:  # noqa: ANN001
            for who in ("hq", "sh"):
                response = case.call(headers=api.headers(who))
                assert response.status_code < 500, (
                    case.method,
                    case.formatted_path,
                    case.body,
                    case.query,
                    response.text[:300],
                )
                if response.status_code >= 400:
                    error = response.json()["error"]
                    assert error["code"] and error["message"], response.text

        fuzz()
