"""LibreTranslate's ``/translate_file`` formats: .txt, .html and .docx.

A file is read into the Chinese passages to translate (``Document.segments``)
and written back with their English in place (``Document.rebuild``), keeping
everything else byte for byte where the format allows:

- .txt: each line holding Chinese is a passage; line endings and the other lines
  are kept. Read as UTF-8 (a BOM allowed), else GB18030; written as UTF-8.
- .html: each run of text between tags holding Chinese is a passage (entities
  decoded, then the English escaped back); markup, scripts, styles and comments
  are kept as they are.
- .docx (python-docx): each paragraph holding Chinese, in the body, in tables and
  in headers and footers, is a passage; its English goes in the paragraph's first
  run (its character formatting) and the other runs are emptied.

Translated files are kept in Redis for ``NEWSUM_JOB_TTL_S`` and served at
``/download_file/<id>.<name>``, as LibreTranslate serves them.
"""

from __future__ import annotations

import base64
import html
import io
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import redis

from service.errors import LibreTranslateError
from workers.store.cache import RedisLayout

SUPPORTED_FORMATS = (".txt", ".html", ".docx")
MEDIA_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_HAN = re.compile(r"[\u3400-\u9fff]")
# Markup kept whole: comments, scripts and styles (with their contents), then any tag.
_HTML_KEPT = re.compile(
    r"(<!--.*?-->|<script\b.*?</script\s*>|<style\b.*?</style\s*>|<[^>]*>)", re.S | re.I
)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9.-]+")
_FILE_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Document:
    """A file's Chinese passages and how to put their English back."""

    segments: list[str]
    rebuild: Callable[[list[str]], bytes]


def suffix_of(filename: str) -> str:
    """The file's format (its lower-cased extension); 400 for one not offered."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_FORMATS:
        raise LibreTranslateError(400, "Invalid request: file format not supported")
    return suffix


def read_document(data: bytes, suffix: str) -> Document:
    """The passages of a .txt, .html or .docx file; 400 when it cannot be read."""
    if suffix == ".docx":
        return _docx(data)
    text = _decode(data)
    return _html(text) if suffix == ".html" else _text(text)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LibreTranslateError(400, "Invalid request: the file is neither UTF-8 nor GB18030 text")


def _text(text: str) -> Document:
    lines = text.splitlines(keepends=True)
    bodies = [line.rstrip("\r\n") for line in lines]
    places = [i for i, body in enumerate(bodies) if _HAN.search(body)]

    def rebuild(english: list[str]) -> bytes:
        out = list(lines)
        for i, en in zip(places, english, strict=True):
            out[i] = en + lines[i][len(bodies[i]) :]
        return "".join(out).encode("utf-8")

    return Document([bodies[i] for i in places], rebuild)


def _html(text: str) -> Document:
    parts = _HTML_KEPT.split(text)
    # Odd indices are kept markup; even ones are text between tags.
    places = [i for i in range(0, len(parts), 2) if _HAN.search(parts[i])]

    def rebuild(english: list[str]) -> bytes:
        out = list(parts)
        for i, en in zip(places, english, strict=True):
            lead = parts[i][: len(parts[i]) - len(parts[i].lstrip())]
            trail = parts[i][len(parts[i].rstrip()) :]
            out[i] = lead + html.escape(en, quote=False) + trail
        return "".join(out).encode("utf-8")

    return Document([html.unescape(parts[i]).strip() for i in places], rebuild)


def _docx(data: bytes) -> Document:
    import docx
    from docx.text.run import Run

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a bad package
        raise LibreTranslateError(
            400, f"Invalid request: the file is not a readable .docx ({type(exc).__name__})"
        ) from None
    paragraphs = [p for p in _docx_paragraphs(document) if _HAN.search(p.text)]

    def rebuild(english: list[str]) -> bytes:
        for paragraph, en in zip(paragraphs, english, strict=True):
            # Runs inside hyperlinks too: every run of the paragraph, in order.
            runs = [Run(r, paragraph) for r in paragraph._p.xpath(".//w:r")]
            if not runs:
                continue
            runs[0].text = en
            for run in runs[1:]:
                run.text = ""
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    return Document([p.text.strip() for p in paragraphs], rebuild)


def _docx_paragraphs(document: Any) -> Iterator[Any]:
    """Paragraphs of the body, its tables (nested too), headers and footers."""

    def walk(container: Any) -> Iterator[Any]:
        yield from container.paragraphs
        for table in getattr(container, "tables", []):
            for row in table.rows:
                for cell in row.cells:
                    yield from walk(cell)

    yield from walk(document)
    for section in document.sections:
        for part in (section.header, section.footer):
            if not part.is_linked_to_previous:
                yield from walk(part)


# ------------------------------------------------------------------ keeping the English file


def _redis_key(layout: RedisLayout, file_id: str) -> str:
    return f"{layout.prefix}:ltfile:{file_id}"


def store_file(
    client: redis.Redis, layout: RedisLayout, filename: str, data: bytes, ttl_s: int
) -> str:
    """Keep a translated file for ``ttl_s``; its download name ``<id>.<name>`` (the
    name in ASCII for the URL; the original name is kept for the download)."""
    file_id = secrets.token_hex(16)
    original = PurePath(filename).name
    suffix = PurePath(original).suffix.lower()
    name = _SAFE_NAME.sub("_", original).strip("._") or "file"
    if PurePath(name).suffix.lower() != suffix:
        name += suffix
    key = _redis_key(layout, file_id)
    payload = {
        "name": name,
        "original": original,
        "data": base64.b64encode(data).decode("ascii"),
    }
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=payload)  # type: ignore[arg-type]
        pipe.expire(key, ttl_s)
        pipe.execute()
    return f"{file_id}.{name}"


def load_file(client: redis.Redis, layout: RedisLayout, download: str) -> tuple[str, bytes, str]:
    """(original name, bytes, media type) of a kept file by its download name; 404
    when gone."""
    file_id, _, name = download.partition(".")
    stored: dict[str, str] = {}
    if _FILE_ID.match(file_id):
        stored = client.hgetall(_redis_key(layout, file_id))  # type: ignore[assignment]
    if not stored or stored.get("name") != name:
        raise LibreTranslateError(
            404, "no such translated file: it was never made or is older than NEWSUM_JOB_TTL_S"
        )
    suffix = PurePath(name).suffix.lower()
    media = MEDIA_TYPES.get(suffix, "application/octet-stream")
    return stored.get("original") or name, base64.b64decode(stored["data"]), media
