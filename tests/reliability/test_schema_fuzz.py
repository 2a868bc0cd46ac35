"""schemathesis against the API's own OpenAPI spec: no request it can build gets a 500.

The spec comes from the app itself; requests go to a live instance on a
loopback port, built on the real Redis (private) and the real Celery app with
no worker, so generated requests reach validation, the cache, the job store
and the queue. Bounded (``MAX_EXAMPLES`` per operation, derandomized) so it
runs in CI in well under two minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from service.app import create_app
from tests.reliability.conftest import RedisProcess, free_port
from tests.reliability.test_access import Api
from workers.settings import load_settings
from workers.store.cache import PipelineInfo, publish_pipeline
from workers.store.heartbeats import beat

pytestmark = pytest.mark.reliability

MAX_EXAMPLES = 100

# The spec needs no Redis: an app on an unused address only describes itself.
_SPEC = create_app(load_settings(redis_url="redis://127.0.0.1:1/0")).openapi()
schema = schemathesis.openapi.from_dict(_SPEC)


@pytest.fixture(scope="module")
def live_url(private_redis: RedisProcess) -> Iterator[str]:
    # No worker answers: a request never waits long for one (max_wait_s).
    api = Api(private_redis, anonymous="all", max_wait_s=0.2)
    stop = threading.Event()

    def heartbeat() -> None:  # stand in for a live worker: its pipeline record and heartbeat
        info = PipelineInfo("offline", "fp", [], False, [])
        while True:
            publish_pipeline(api.redis, api.layout, info, also_as=("auto",))
            beat(api.redis, api.layout, "schema-fuzz-worker", info)
            if stop.wait(5):
                return

    threading.Thread(target=heartbeat, daemon=True).start()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(api.http.app, host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    stop.set()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case, live_url: str) -> None:
    response = case.call(base_url=live_url, timeout=10)
    case.validate_response(response, checks=[not_a_server_error])
