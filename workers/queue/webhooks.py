"""A finished batch's webhook: its summary POSTed to the address the client gave."""

from __future__ import annotations

from workers.article.fetch import PUBLIC_ONLY, FetchPolicy, post_json
from workers.store.batches import BatchStore, batch_status
from workers.store.jobs import JobStore

WEBHOOK_TIMEOUT_S = 5.0


def notify_batch(
    batches: BatchStore, jobs: JobStore, batch_id: str, *, policy: FetchPolicy = PUBLIC_ONLY
) -> int | None:
    """POST the batch summary to its webhook, best effort; the webhook's HTTP status.

    The URL is checked again here and the connection pinned to the checked address
    (``workers.article.fetch.post_json``), so a name that now resolves inside our network
    is refused. None when the batch has no webhook (or is gone).
    """
    record = batches.get(batch_id)
    if record is None or not record.webhook:
        return None
    status = batch_status(batches, jobs, batch_id)
    if status is None:
        return None
    status["results"] = f"/v1/batches/{batch_id}/results"
    return post_json(record.webhook, status, timeout_s=WEBHOOK_TIMEOUT_S, policy=policy)
