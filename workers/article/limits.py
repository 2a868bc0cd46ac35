"""How big an article may be, checked by one set of functions wherever it is checked.

The API checks what it can before a job is queued (text and HTML length, URL
length); the worker checks again what only it sees (fetched or base64 bytes, the
extracted body). Both call these, so a limit and its message are written once.
The limits themselves are Settings (``NEWSUM_MAX_CHARS``, ``NEWSUM_MAX_BYTES``,
``NEWSUM_MAX_GLOSSARY_ENTRIES``, ``NEWSUM_MAX_GLOSSARY_BYTES``).
"""

from __future__ import annotations

from collections.abc import Mapping

from workers.contract import ArticleInput
from workers.errors import InputTooLarge, InvalidRequest

# HTML carries markup around its text: it may be this many times NEWSUM_MAX_CHARS.
HTML_CHARS_FACTOR = 10
MAX_URL_CHARS = 2048


def check_chars(what: str, text: str, max_chars: int, *, factor: int = 1) -> None:
    """InputTooLarge (413, the limit named) when ``text`` is over ``max_chars × factor``."""
    limit = max_chars * factor
    if len(text) > limit:
        times = f" × {factor}" if factor != 1 else ""
        raise InputTooLarge(
            f"{what} is {len(text):,} characters; the limit is {limit:,} characters "
            f"(NEWSUM_MAX_CHARS{times})",
            limit=limit,
        )


def check_bytes(what: str, size: int, max_bytes: int) -> None:
    """InputTooLarge when ``size`` bytes are over ``max_bytes``."""
    if size > max_bytes:
        raise InputTooLarge(
            f"{what} is {size:,} bytes; the limit is {max_bytes:,} bytes (NEWSUM_MAX_BYTES)",
            limit=max_bytes,
        )


def check_url_chars(url: str) -> None:
    """InvalidRequest when a URL is longer than any a browser would send."""
    if len(url) > MAX_URL_CHARS:
        raise InvalidRequest(
            f"URL is {len(url)} characters; the limit is {MAX_URL_CHARS}", limit=MAX_URL_CHARS
        )


def check_input_size(article: ArticleInput, max_chars: int) -> None:
    """The size checks an article's input allows before any work: text, HTML, URL."""
    if article.text is not None:
        check_chars("text", article.text, max_chars)
    elif article.html is not None:
        check_chars("html", article.html, max_chars, factor=HTML_CHARS_FACTOR)
    elif article.url is not None:
        check_url_chars(article.url)


def glossary_bytes(glossary: Mapping[str, str]) -> int:
    """UTF-8 bytes of a glossary's terms and their English."""
    return sum(len(zh.encode("utf-8", "surrogatepass")) for zh in glossary) + sum(
        len(en.encode("utf-8", "surrogatepass")) for en in glossary.values()
    )


def check_glossary(
    what: str, glossary: Mapping[str, str] | None, max_entries: int, max_bytes: int
) -> None:
    """InputTooLarge (413, the limit and its setting named) when a caller's glossary has
    more than ``max_entries`` terms or ``max_bytes`` bytes of terms and English."""
    if not glossary:
        return
    if len(glossary) > max_entries:
        raise InputTooLarge(
            f"{what} has {len(glossary):,} terms; the limit is {max_entries:,} terms "
            "(NEWSUM_MAX_GLOSSARY_ENTRIES)",
            limit=max_entries,
        )
    size = glossary_bytes(glossary)
    if size > max_bytes:
        raise InputTooLarge(
            f"{what} is {size:,} bytes; the limit is {max_bytes:,} bytes "
            "(NEWSUM_MAX_GLOSSARY_BYTES)",
            limit=max_bytes,
        )
