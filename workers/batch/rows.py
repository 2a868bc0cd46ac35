"""A batch's result rows: one shape for the service and ``newsum batch``, as JSON lines
or as a spreadsheet.

Every row, in input order::

    {"index", "id", "job_id", "state", "cluster", "result", "error"}

``state`` is ``done`` or ``failed`` (the service's rows also ``queued`` or
``running`` while the batch runs); ``job_id`` is the service's job (null from
``newsum batch``); ``cluster`` is the item's near-duplicate group
(``ClusterInfo``, the same as ``result.cluster``; null when it was grouped with
no other); ``result`` the ``SummaryResult`` or null; ``error`` ``{"code",
"message", "limit"}`` or null.

The CSV has one line per row with what an editor scans in a spreadsheet
(``CSV_COLUMNS``); it starts with a byte-order mark, so that Excel reads its
Chinese as UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

ROW_FIELDS = ("index", "id", "job_id", "state", "cluster", "result", "error")

CSV_COLUMNS = (
    "index",
    "id",
    "state",
    "title",
    "title_en",
    "published",
    "outlet",
    "url",
    "summary_en",
    "summary_zh",
    "key_terms",
    "needs_review",
    "review_reasons",
    "warnings",
    "cluster",
    "representative_id",
    "error_code",
    "error_message",
    "job_id",
)
BOM = "\ufeff"


def batch_row(
    index: int,
    item_id: str | int | None,
    state: str,
    *,
    job_id: str | None = None,
    cluster: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A row without its result (``row_line`` adds it, as JSON text)."""
    return {
        "index": index,
        "id": item_id,
        "job_id": job_id,
        "state": state,
        "cluster": cluster,
        "error": error,
    }


def row_line(row: dict[str, Any], result_json: str | None) -> str:
    """One JSON line, fields in ``ROW_FIELDS`` order; ``result_json`` (the result's JSON
    text, as cached) is spliced in rather than parsed and dumped again."""
    head = json.dumps({name: row.get(name) for name in ROW_FIELDS[:5]}, ensure_ascii=False)
    error = json.dumps(row.get("error"), ensure_ascii=False)
    return f'{head[:-1]}, "result": {result_json or "null"}, "error": {error}}}\n'


def _joined(items: Iterable[Any], sep: str = " | ") -> str:
    return sep.join(str(i) for i in items if i)


def csv_record(row: dict[str, Any], result: dict[str, Any] | None) -> list[str]:
    """A row as the spreadsheet's cells (``CSV_COLUMNS``)."""
    result = result or {}
    article = result.get("article") or {}
    summary = result.get("summary") or {}
    cluster = row.get("cluster") or result.get("cluster") or {}
    error = row.get("error") or {}
    terms = "; ".join(
        f"{t.get('zh')} {t.get('en') or t.get('pinyin') or ''}".strip()
        for t in result.get("key_terms") or []
    )
    cells: dict[str, Any] = {
        "index": row.get("index"),
        "id": row.get("id"),
        "state": row.get("state"),
        "title": article.get("title"),
        "title_en": article.get("title_en"),
        "published": article.get("published"),
        "outlet": article.get("outlet"),
        "url": article.get("url"),
        "summary_en": summary.get("en"),
        "summary_zh": summary.get("zh"),
        "key_terms": terms,
        "needs_review": ("yes" if result.get("needs_review") else "no") if result else "",
        "review_reasons": _joined(result.get("review_reasons") or []),
        "warnings": _joined((result.get("checks") or {}).get("warnings") or []),
        "cluster": cluster.get("id"),
        "representative_id": cluster.get("representative_id"),
        "error_code": error.get("code"),
        "error_message": error.get("message"),
        "job_id": row.get("job_id"),
    }
    return ["" if cells[c] is None else str(cells[c]) for c in CSV_COLUMNS]


def csv_lines(rows: Iterable[tuple[dict[str, Any], str | None]]) -> Iterator[str]:
    """The CSV text, a line at a time: the header (after a byte-order mark), then one
    line per ``(row, result_json)``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield BOM + flush()
    for row, result_json in rows:
        writer.writerow(csv_record(row, json.loads(result_json) if result_json else None))
        yield flush()
