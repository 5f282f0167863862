"""Generated requests (schemathesis) for every operation of the API's own OpenAPI
document, each sent to ``lishu serve`` as an officer, a volunteer and an auditor.

Valid and invalid requests alike: no answer may be a server error, and every
answer's status, content type and body must be the ones the document gives.
Path ids are often swapped for real ones (incidents in every stage, volunteers,
goods), so the requests reach the loop and the read models, not only the
validation. The run is bounded (examples per operation, derandomized) to stay
within minutes on two cores.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.config import ApiSettings
from tests.api.served import Http, Server

MAX_EXAMPLES = 8
USERS = ("o-xf-li", "v-xf-liu", "au-ls-ma")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The document only: this application is never started (the server process serves).
DOCUMENT = create_app(ApiSettings(database_url="memory://")).openapi()
# Log-out would end the session every later request of the run is sent with; it
# is tested on its own (tests/api/test_sessions.py).
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(path="/api/auth/logout")


@dataclass
class Target:
    url: str
    headers: dict[str, dict[str, str]]
    ids: dict[str, list[str]]
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def aim(self, case: Any) -> None:
        """Swap three in four generated path ids for real ones."""
        for name, value in (case.path_parameters or {}).items():
            pool = self.ids.get(name)
            hashed = zlib.crc32(str(value).encode())
            if pool and hashed % 4:
                case.path_parameters[name] = pool[hashed % len(pool)]

    def count(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


@pytest.fixture(scope="module")
def target(server: Server, http: Http) -> Iterator[Target]:
    incidents = [
        row["incident_id"]
        for row in http.get("au-ls-ma", "/api/incidents", unit="lishu", limit=60).json()["items"]
    ]
    items = [row["item_id"] for row in http.get("s-cy-wang", "/api/catalogue").json()["items"]]
    volunteers = ["v-xf-liu", "v-xf-chen", "v-hp-wu", "v-hp-feng", "v-xf-01", "v-hp-02"]
    assert incidents
    assert items
    ready = Target(
        server.url,
        {user: http.headers(user) for user in USERS},
        {
            "incident_id": incidents,
            "record_id": incidents,
            "volunteer_id": volunteers,
            "item_id": items,
        },
    )
    yield ready
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(ready.statuses.items()))
    print(f"\ngenerated requests: {ready.requests} ({statuses})")
    assert ready.requests >= 3000


def test_the_server_serves_this_document(http: Http) -> None:
    assert http.client.get("/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests(case: Any, target: Target) -> None:
    target.aim(case)
    for user in USERS:
        response = case.call_and_validate(
            base_url=target.url, headers=target.headers[user], checks=CHECKS, timeout=60
        )
        target.count(response.status_code)


def test_the_server_logged_no_error(server: Server) -> None:
    assert server.errors() == []
