"""API keys, per-key rate limits and batch quotas, and who may call without a key.

A key looks like ``nsk_<id>_<secret>``. Redis keeps, under ``<prefix>:apikey:<id>``,
only the SHA-256 of the whole key with its name, rate and quota; the key itself
is printed once by ``newsum keys add`` and never stored or logged. A presented
key is looked up by its id and its hash compared with ``hmac.compare_digest``
(constant time), so a wrong secret takes as long to refuse as a nearly right one.

Limits, in Redis so that every API process shares them:

* rate: submissions (POST) a minute per key (``--rate N/min``), fixed one-minute
  windows; over it, 429 with Retry-After (the seconds left in the window);
* batch quota: batch items a UTC day per key (``--batch-quota N``); a batch that
  would go over it is refused whole, 429 with Retry-After (seconds to midnight);
* anonymous callers (``NEWSUM_ANONYMOUS``): ``interactive`` (default) may
  summarize and translate but not submit batches, ``all`` may do everything,
  ``none`` nothing under /v1 and the translate routes; ``NEWSUM_ANONYMOUS_RATE``
  caps their submissions a minute per client address (0: no cap).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

import click
import redis
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from service.deps import ServiceState, get_state
from workers.contract import SummaryOptions
from workers.english.glossary import merged_glossary, parse_glossary
from workers.errors import NewsumError
from workers.store.cache import RedisLayout

KEY_PREFIX = "nsk_"
_KEY_SHAPE = re.compile(r"^nsk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})$")
_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(min|minute|m))?\s*$")

Access = Literal["interactive", "batch"]


class Unauthorized(NewsumError, code="unauthorized", status=401):
    """No key where one is needed, or a key that is unknown or revoked (401)."""


class RateLimited(NewsumError, code="rate_limited", status=429):
    """Over a rate, quota or queue limit (429); ``retry_after_s`` goes in Retry-After."""

    def __init__(self, message: str, *, retry_after_s: int, limit: int | None = None) -> None:
        super().__init__(message, limit=limit)
        self.retry_after_s = max(1, retry_after_s)


class QuotaExceeded(RateLimited, code="quota_exceeded"): ...


class QueueFull(RateLimited, code="queue_full"): ...


@dataclass(frozen=True)
class ApiKey:
    """One key as stored (never the secret)."""

    key_id: str
    name: str
    rate_per_min: int
    batch_quota: int | None  # items a UTC day; None: no quota
    created_at: str
    revoked: bool = False
    # The key's newsroom glossary (zh → en), under each request's own terms.
    glossary: dict[str, str] | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_rate(text: str) -> int:
    """``"60/min"`` or ``"60"`` → 60. Raises ValueError naming the form expected."""
    match = _RATE.match(text)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"rate {text!r} is not of the form N/min with N ≥ 1")
    return int(match.group(1))


def _seconds_to_midnight(now: float) -> int:
    return int(86_400 - now % 86_400) or 1


class KeyStore:
    """Create, look up, list and revoke keys; count their use."""

    def __init__(self, client: redis.Redis, layout: RedisLayout) -> None:
        self.client = client
        self.layout = layout

    def _name(self, key_id: str) -> str:
        return self.layout.api_key(key_id)

    def create(
        self,
        name: str,
        rate_per_min: int,
        batch_quota: int | None,
        glossary: dict[str, str] | None = None,
    ) -> tuple[str, ApiKey]:
        """A new key: (the key, to show once; its record)."""
        key_id = secrets.token_hex(6)
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(
            key_id=key_id,
            name=name,
            rate_per_min=rate_per_min,
            batch_quota=batch_quota,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            glossary=glossary or None,
        )
        fields = {
            "hash": hash_key(key),
            "name": name,
            "rate_per_min": rate_per_min,
            "batch_quota": "" if batch_quota is None else batch_quota,
            "created_at": record.created_at,
            "revoked": "0",
            "glossary": json.dumps(glossary or {}, ensure_ascii=False),
        }
        self.client.hset(self._name(key_id), mapping=fields)  # type: ignore[arg-type]
        return key, record

    @staticmethod
    def _record(key_id: str, data: dict[str, str]) -> ApiKey:
        quota = data.get("batch_quota", "")
        return ApiKey(
            key_id=key_id,
            name=data.get("name", ""),
            rate_per_min=int(data.get("rate_per_min", 0)),
            batch_quota=int(quota) if quota else None,
            created_at=data.get("created_at", ""),
            glossary=json.loads(data.get("glossary") or "{}") or None,
            revoked=data.get("revoked") == "1",
        )

    def lookup(self, key: str) -> ApiKey | None:
        """The live key record for a presented key, or None (unknown, wrong, revoked)."""
        match = _KEY_SHAPE.match(key.strip())
        if not match:
            return None
        key_id = match.group(1)
        data: dict[str, str] = self.client.hgetall(self._name(key_id))  # type: ignore[assignment]
        # Compare the hash even when no record exists, so both cases take the same time.
        stored = data.get("hash", "0" * 64)
        if not hmac.compare_digest(stored, hash_key(key.strip())) or not data:
            return None
        record = self._record(key_id, data)
        return None if record.revoked else record

    def list(self) -> list[ApiKey]:
        found = []
        for name in self.client.scan_iter(self.layout.api_key_pattern, count=500):
            key_id = str(name).rsplit(":", 1)[-1]
            data: dict[str, str] = self.client.hgetall(name)  # type: ignore[assignment]
            if data:
                found.append(self._record(key_id, data))
        return sorted(found, key=lambda k: k.created_at)

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; False if there is no such key."""
        name = self._name(key_id)
        if not self.client.exists(name):
            return False
        self.client.hset(name, "revoked", "1")
        return True

    # --- use ---

    def take(self, who: str, rate_per_min: int, now: float | None = None) -> None:
        """Count one submission of ``who`` in this minute; RateLimited past the rate."""
        now = time.time() if now is None else now
        window = int(now // 60)
        name = self.layout.rate_window(who, window)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, 120)
            used, _ = pipe.execute()
        if int(used) > rate_per_min:
            retry = int(60 - now % 60) + 1
            raise RateLimited(
                f"over the rate of {rate_per_min} requests a minute; try again in {retry} s",
                retry_after_s=retry,
                limit=rate_per_min,
            )

    def take_batch_items(self, key: ApiKey, items: int, now: float | None = None) -> None:
        """Count ``items`` against the key's daily batch quota; QuotaExceeded (the
        whole batch refused, nothing counted) if it would go over. Taken only for a
        batch accepted whole (``service.batch_admission``): checked first, and given
        back (``refund_batch_items``, with the same ``now``) if queueing it fails."""
        if key.batch_quota is None:
            return
        now = time.time() if now is None else now
        name = self._quota_name(key, now)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incrby(name, items)
            pipe.expire(name, 2 * 86_400)
            used, _ = pipe.execute()
        if int(used) > key.batch_quota:
            self.client.decrby(name, items)
            left = max(0, key.batch_quota - (int(used) - items))
            raise QuotaExceeded(
                f"this batch of {items:,} items is over the key's batch quota of "
                f"{key.batch_quota:,} items a day ({left:,} left today)",
                retry_after_s=_seconds_to_midnight(now),
                limit=key.batch_quota,
            )

    def refund_batch_items(self, key: ApiKey, items: int, now: float) -> None:
        """Give back what ``take_batch_items`` counted at ``now`` (a batch not queued)."""
        if key.batch_quota is None:
            return
        self.client.decrby(self._quota_name(key, now), items)

    def _quota_name(self, key: ApiKey, now: float) -> str:
        day = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")
        return self.layout.daily_quota(key.key_id, day)


def presented_key(request: Request) -> str | None:
    """The key in ``Authorization: Bearer <key>`` or ``X-API-Key``, if any."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("x-api-key", "").strip() or None


def authorize(
    state: ServiceState, request: Request, access: Access, *, key: str | None = None
) -> ApiKey | None:
    """Who is calling (a key record, or None for anonymous), after the rate check.

    ``key``: a key the request carries elsewhere than the headers (LibreTranslate's
    ``api_key`` parameter, ``service.libretranslate``); a header key wins over it.
    Raises Unauthorized (401) or RateLimited (429). Runs in a thread (Redis calls).
    """
    store = KeyStore(state.redis, state.layout)
    given = presented_key(request) or key
    mode = state.settings.anonymous
    if given is not None:
        record = store.lookup(given)
        if record is None:
            raise Unauthorized("the API key is unknown or revoked")
        if request.method == "POST":
            store.take(f"key:{record.key_id}", record.rate_per_min)
        return record
    if mode == "none" or (mode == "interactive" and access == "batch"):
        what = "batches" if access == "batch" else "this service"
        raise Unauthorized(
            f"an API key is needed for {what} (NEWSUM_ANONYMOUS={mode}); send it as "
            "`Authorization: Bearer <key>`"
        )
    rate = state.settings.anonymous_rate
    if rate and request.method == "POST":
        address = request.client.host if request.client else "unknown"
        store.take(f"anon:{address}", rate)
    return None


def needs_check(
    state: ServiceState, request: Request, access: Access, *, key: str | None = None
) -> bool:
    """False when the answer is "anonymous, allowed, no cap": no Redis call, no thread hop.
    ``key``: as for ``authorize``."""
    if presented_key(request) is not None or key is not None:
        return True
    mode = state.settings.anonymous
    allowed = mode == "all" or (mode == "interactive" and access == "interactive")
    return not allowed or bool(state.settings.anonymous_rate and request.method == "POST")


# Where ``service.security.KeyFirst`` leaves the caller it checked before the body was
# read (in the request's state, as a 1-tuple: None is an anonymous caller).
CHECKED_CALLER = "newsum.checked_caller"


def pre_checked(request: Request) -> tuple[ApiKey | None] | None:
    """The caller checked before the body was read, if it was (``KeyFirst``)."""
    checked: tuple[ApiKey | None] | None = request.scope.get("state", {}).get(CHECKED_CALLER)
    return checked


async def _caller(request: Request, state: ServiceState, access: Access) -> ApiKey | None:
    checked = pre_checked(request)
    if checked is not None:  # rate already counted: not twice
        return checked[0]
    if not needs_check(state, request, access):
        return None
    return await run_in_threadpool(authorize, state, request, access)


async def _interactive(
    request: Request, state: Annotated[ServiceState, Depends(get_state)]
) -> ApiKey | None:
    return await _caller(request, state, "interactive")


async def _batch(
    request: Request, state: Annotated[ServiceState, Depends(get_state)]
) -> ApiKey | None:
    return await _caller(request, state, "batch")


def with_key_glossary(caller: ApiKey | None, options: SummaryOptions) -> SummaryOptions:
    """The options with the caller's key glossary under the request's own terms
    (a request's term wins), before the request key is computed."""
    if caller is None or not caller.glossary:
        return options
    terms = merged_glossary(caller.glossary, options.glossary)
    return options.model_copy(update={"glossary": terms})


InteractiveCaller = Annotated[ApiKey | None, Depends(_interactive)]
BatchCaller = Annotated[ApiKey | None, Depends(_batch)]


# --------------------------------------------------------------------------- newsum keys


def _store() -> KeyStore:
    from workers.settings import SettingsError, load_settings
    from workers.store.cache import connect_redis, redis_layout

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    url = settings.redis_url
    if not url:
        socket = settings.redis_dir.expanduser() / "redis.sock"
        if not socket.exists():
            raise click.ClickException(
                "set NEWSUM_REDIS_URL to the service's Redis (or start `newsum serve` first)"
            )
        url = f"unix://{socket}"
    client = connect_redis(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis at {url} is not answering: {exc}") from None
    return KeyStore(client, redis_layout(settings))


@click.group(name="keys")
def keys_group() -> None:
    """API keys of the service (stored hashed in its Redis)."""


@keys_group.command(name="add")
@click.option("--rate", "rate", required=True, help="submissions a minute, e.g. 60/min")
@click.option("--batch-quota", type=click.IntRange(min=0), default=None, help="batch items a day")
@click.option("--name", default="", help="whose key this is")
@click.option(
    "--glossary",
    "glossary_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="the newsroom's terms for every request with this key: JSON {zh: en} or zh<TAB>en lines",
)
def keys_add(rate: str, batch_quota: int | None, name: str, glossary_file: str | None) -> None:
    """Create a key and print it once (it is stored only hashed)."""
    try:
        per_min = parse_rate(rate)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rate") from None
    glossary = None
    if glossary_file is not None:
        try:
            with open(glossary_file, encoding="utf-8") as handle:
                glossary = parse_glossary(handle.read(), source=glossary_file)
        except (NewsumError, UnicodeDecodeError) as exc:
            raise click.BadParameter(str(exc), param_hint="--glossary") from None
    key, record = _store().create(name, per_min, batch_quota, glossary)
    quota = "no batch quota" if batch_quota is None else f"batch quota {batch_quota:,} items/day"
    click.echo(key)
    click.echo(
        f"id {record.key_id}, {per_min}/min, {quota}. Keep the key now: it is not shown again.",
        err=True,
    )


@keys_group.command(name="list")
def keys_list() -> None:
    """Each key's id, name, rate, quota and state (never the key)."""
    for key in _store().list():
        quota = "-" if key.batch_quota is None else str(key.batch_quota)
        state = "revoked" if key.revoked else "active"
        click.echo(
            f"{key.key_id}\t{key.name or '-'}\t{key.rate_per_min}/min\t{quota}\t"
            f"{key.created_at}\t{state}"
        )


@keys_group.command(name="revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id (as `newsum keys list` shows it). An id no key has is
    bad input: exit 2, like every other command's."""
    if not _store().revoke(key_id):
        raise click.UsageError(f"no key with id {key_id} (newsum keys list shows the ids)")
    click.echo(f"revoked {key_id}")
