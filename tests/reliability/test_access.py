"""Access and back-pressure: API keys, rate limits, batch quotas, anonymous modes,
CORS, security headers, JSON-only Celery; the interactive queue's depth limit.

The API runs in-process (TestClient) on the module's private Redis with the real
Celery app sending real messages; no worker consumes them, so the queue fills.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import KeyStore, keys_group
from service.deps import CeleryQueue
from tests.reliability.conftest import REPO_ROOT, RedisProcess, article
from workers.queue.celery_app import create_celery
from workers.settings import Settings, load_settings
from workers.store.cache import PipelineInfo, RedisLayout, connect_redis, publish_pipeline

pytestmark = pytest.mark.reliability


class Api:
    """The API on the private Redis, a fresh key prefix, a fake worker heartbeat."""

    def __init__(self, server: RedisProcess, **settings: Any) -> None:
        self.prefix = f"acc{uuid.uuid4().hex[:8]}"
        self.settings: Settings = load_settings(
            redis_url=server.url, redis_prefix=self.prefix, **settings
        )
        self.redis = connect_redis(server.url)
        self.layout = RedisLayout(self.prefix)
        self.store = KeyStore(self.redis, self.layout)
        publish_pipeline(
            self.redis, self.layout, PipelineInfo("offline", "fp", [], False, []), also_as=("auto",)
        )
        self.http = TestClient(
            create_app(self.settings, queue=CeleryQueue(create_celery(self.settings)))
        )

    def key(self, rate: int = 100, quota: int | None = None) -> str:
        return self.store.create("test", rate, quota)[0]


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _batch(n: int, start: int = 0) -> dict[str, Any]:
    return {"items": [{"text": article(start + i, "批")} for i in range(n)]}


# ------------------------------------------------------------------ keys


def test_keys_add_prints_the_key_once_and_stores_only_its_hash(
    private_redis: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"cli{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("NEWSUM_REDIS_URL", private_redis.url)
    monkeypatch.setenv("NEWSUM_REDIS_PREFIX", prefix)
    runner = CliRunner()
    added = runner.invoke(
        keys_group, ["add", "--rate", "30/min", "--batch-quota", "500", "--name", "desk"]
    )
    assert added.exit_code == 0, added.output
    key = added.stdout.strip()
    assert re.fullmatch(r"nsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key), added.stdout
    key_id = key.split("_")[1]
    assert "not shown again" in added.stderr
    client = connect_redis(private_redis.url)
    stored = client.hgetall(f"{prefix}:apikey:{key_id}")
    assert stored["rate_per_min"] == "30" and stored["batch_quota"] == "500"
    for name in client.scan_iter(f"{prefix}:*"):  # the key itself is nowhere in Redis
        assert key not in str(client.hgetall(name)) and key.split("_")[2] not in str(name)
    listed = runner.invoke(keys_group, ["list"])
    assert key_id in listed.stdout and "desk" in listed.stdout and "30/min" in listed.stdout
    assert key not in listed.stdout
    assert runner.invoke(keys_group, ["add", "--rate", "fast"]).exit_code == 2
    assert runner.invoke(keys_group, ["revoke", key_id]).exit_code == 0
    assert "revoked" in runner.invoke(keys_group, ["list"]).stdout
    assert KeyStore(client, RedisLayout(prefix)).lookup(key) is None
    unknown = runner.invoke(keys_group, ["revoke", "000000000000"])
    assert unknown.exit_code == 2 and "no key with id 000000000000" in unknown.output


def test_batches_need_a_key_by_default_and_interactive_calls_do_not(
    private_redis: RedisProcess,
) -> None:
    api = Api(private_redis)
    assert api.settings.anonymous == "interactive"
    r = api.http.post("/v1/summaries", json={"text": article(1), "wait": 0})
    assert r.status_code == 202, r.text
    r = api.http.post("/v1/batches", json=_batch(2))
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == {
        "code": "unauthorized",
        "message": "an API key is needed for batches (NEWSUM_ANONYMOUS=interactive); "
        "send it as `Authorization: Bearer <key>`",
        "limit": None,
    }
    key = api.key()
    assert api.http.post("/v1/batches", json=_batch(2), headers=_auth(key)).status_code == 202
    assert (
        api.http.post("/v1/batches", json=_batch(2), headers={"X-API-Key": key}).status_code == 202
    )


@pytest.mark.parametrize(
    "given",
    ["nsk_000000000000_" + "a" * 43, "not-a-key", "nsk_short", ""],
)
def test_an_unknown_or_malformed_key_is_401_even_where_anonymous_may_call(
    private_redis: RedisProcess, given: str
) -> None:
    api = Api(private_redis, anonymous="all")
    r = api.http.post(
        "/v1/summaries", json={"text": article(2), "wait": 0}, headers={"X-API-Key": given or "x"}
    )
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "the API key is unknown or revoked"


def test_a_wrong_secret_with_a_real_key_id_is_refused_in_constant_time(
    private_redis: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(private_redis)
    key = api.key()
    compared: list[tuple[str, str]] = []
    import hmac

    real = hmac.compare_digest

    def recording(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr("service.auth.hmac.compare_digest", recording)
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert api.store.lookup(forged) is None
    assert api.store.lookup(key) is not None
    assert len(compared) == 2 and all(len(a) == len(b) == 64 for a, b in compared)


def test_the_anonymous_setting_all_and_none(private_redis: RedisProcess) -> None:
    everyone = Api(private_redis, anonymous="all")
    assert everyone.http.post("/v1/batches", json=_batch(1)).status_code == 202
    nobody = Api(private_redis, anonymous="none")
    for method, path in [
        ("POST", "/v1/summaries"),
        ("GET", "/v1/jobs/abc"),
        ("GET", "/v1/batches/abc"),
    ]:
        r = nobody.http.request(method, path, json={"text": article(3), "q": "你好"})
        assert r.status_code == 401, (path, r.text)
        assert "NEWSUM_ANONYMOUS=none" in r.json()["error"]["message"]
    # LibreTranslate's routes answer as LibreTranslate does (service.libretranslate).
    r = nobody.http.post("/translate", json={"q": "你好", "source": "zh", "target": "en"})
    assert r.status_code == 400 and "NEWSUM_ANONYMOUS=none" in r.json()["error"], r.text
    for path in ("/healthz", "/", "/openapi.json"):
        assert nobody.http.get(path).status_code == 200, path
    key = nobody.key()
    assert nobody.http.get("/v1/jobs/abc", headers=_auth(key)).status_code == 404


def test_a_key_over_its_rate_gets_429_with_retry_after(private_redis: RedisProcess) -> None:
    api = Api(private_redis)
    key = api.key(rate=2)
    codes = [
        api.http.post("/v1/summaries", json={"text": article(i), "wait": 0}, headers=_auth(key))
        for i in range(3)
    ]
    assert [r.status_code for r in codes] == [202, 202, 429]
    refused = codes[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and error["limit"] == 2
    assert error["message"].startswith("over the rate of 2 requests a minute; try again in")
    # Reading is not rate limited: polling a job never burns the key's rate.
    job = codes[0].json()["job_id"]
    assert api.http.get(f"/v1/jobs/{job}", headers=_auth(key)).status_code == 200


def test_anonymous_rate_is_per_client_address(private_redis: RedisProcess) -> None:
    api = Api(private_redis, anonymous_rate=1)
    first = api.http.post("/v1/summaries", json={"text": article(7), "wait": 0})
    second = api.http.post("/v1/summaries", json={"text": article(8), "wait": 0})
    assert (first.status_code, second.status_code) == (202, 429)


def test_a_batch_over_the_key_s_daily_quota_is_refused_whole(private_redis: RedisProcess) -> None:
    api = Api(private_redis)
    key = api.key(quota=3)
    assert api.http.post("/v1/batches", json=_batch(2), headers=_auth(key)).status_code == 202
    r = api.http.post("/v1/batches", json=_batch(2, start=10), headers=_auth(key))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"] == {
        "code": "quota_exceeded",
        "message": "this batch of 2 items is over the key's batch quota of 3 items a day "
        "(1 left today)",
        "limit": 3,
    }
    assert (
        api.http.post("/v1/batches", json=_batch(1, start=20), headers=_auth(key)).status_code
        == 202
    )


def test_keys_are_never_logged(
    private_redis: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    api = Api(private_redis)
    key = api.key(rate=1)
    with caplog.at_level(logging.DEBUG):
        api.http.post("/v1/summaries", json={"text": article(4), "wait": 0}, headers=_auth(key))
        api.http.post("/v1/summaries", json={"text": article(5), "wait": 0}, headers=_auth(key))
        api.http.post("/v1/summaries", json={"text": article(6)}, headers=_auth(key + "x"))
    assert caplog.records  # something was logged (httpx, the API) ...
    assert key not in caplog.text and key.split("_")[2] not in caplog.text  # ... never the key


# ------------------------------------------------------------------ back-pressure


def test_a_deep_interactive_queue_gets_429_while_batches_are_still_queued(
    private_redis: RedisProcess,
) -> None:
    api = Api(private_redis, max_queue_depth=3, anonymous="all")
    accepted = [
        api.http.post("/v1/summaries", json={"text": article(i, "压"), "wait": 0}) for i in range(3)
    ]
    assert [r.status_code for r in accepted] == [202, 202, 202]
    refused = api.http.post("/v1/summaries", json={"text": article(9, "压"), "wait": 0})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "10"
    assert refused.json()["error"] == {
        "code": "queue_full",
        "message": "the interactive queue holds 3 articles; the limit is 3 "
        "(NEWSUM_MAX_QUEUE_DEPTH): try again shortly, or submit a batch",
        "limit": 3,
    }
    # An identical request attaches to its queued job: no new task, so no 429.
    again = api.http.post("/v1/summaries", json={"text": article(0, "压"), "wait": 0})
    assert again.status_code == 202 and again.json()["job_id"] == accepted[0].json()["job_id"]
    batch = api.http.post("/v1/batches", json=_batch(5, start=30))
    assert batch.status_code == 202
    assert api.redis.llen(f"{api.layout.queue_prefix}batch") == 5
    assert api.redis.llen(f"{api.layout.queue_prefix}interactive") == 3


# ------------------------------------------------------------------ headers, CORS, JSON only


def test_the_page_has_strict_security_headers(private_redis: RedisProcess) -> None:
    api = Api(private_redis)
    page = api.http.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    csp = page.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    api_error = api.http.get("/v1/jobs/none")
    assert api_error.headers["x-content-type-options"] == "nosniff"
    docs = api.http.get("/docs")
    assert (
        docs.status_code == 200
        and docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    )


def test_the_page_needs_no_inline_script_or_style() -> None:
    html = (REPO_ROOT / "service/static/index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers


def test_cors_is_off_by_default_and_allows_only_the_configured_origins(
    private_redis: RedisProcess,
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    closed = Api(private_redis)
    r = closed.http.get("/healthz", headers={"Origin": "https://desk.example"})
    assert "access-control-allow-origin" not in r.headers
    opened = Api(private_redis, cors_origins="https://desk.example, https://tools.example/")
    ok = opened.http.options(
        "/v1/summaries", headers={"Origin": "https://desk.example", **preflight}
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://desk.example"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    other = opened.http.options(
        "/v1/summaries", headers={"Origin": "https://evil.example", **preflight}
    )
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"
    tools = opened.http.get("/healthz", headers={"Origin": "https://tools.example"})
    assert tools.headers["access-control-allow-origin"] == "https://tools.example"


def test_celery_speaks_json_only_and_nothing_imports_pickle() -> None:
    settings = load_settings(redis_url="redis://127.0.0.1:1/0")
    conf = create_celery(settings).conf
    assert list(conf.accept_content) == ["json"]
    assert conf.task_serializer == "json" and conf.result_serializer == "json"
    offenders = []
    for folder in ("service", "workers", "models"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"^\s*(import pickle|from pickle|import cPickle|import dill)", text, re.M):
                offenders.append(str(path))
    assert offenders == []


def test_secrets_come_only_from_the_environment() -> None:
    """No Redis password or key material in the settings' defaults or the compose file."""
    defaults = Settings.model_fields
    assert defaults["redis_url"].default is None
    compose = (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert not re.search(r"redis://[^@\s]*:[^@\s]+@", compose)  # no password in a URL
    assert not re.search(r"(?i)(api_key|secret|password)\s*[:=]\s*\S+", compose)
    assert not list(Path(REPO_ROOT / "service").rglob("*.pem"))
