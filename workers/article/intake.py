"""Intake: raw page bytes → text, with the charset found the way real Chinese pages need;
and what in a text is markup (``looks_like_html``, ``has_active_markup``, ``visible_text``).

Order of trust, and why:

1. strict UTF-8 — real pages declare ``gb2312`` in their ``<meta>`` and are in fact
   UTF-8 (5 of 74 in our test set); valid UTF-8 of any length is almost never an
   accident for GBK or Big5 text, so it wins over any label.
2. the charset the HTTP header declared, then the one in ``<meta>`` — GB2312 and GBK
   are read as GB18030, their superset, because pages labelled GB2312 routinely use
   GBK-only characters.
3. detection (charset-normalizer), with the same GB18030 widening.

A label is only trusted if the bytes decode under it with almost no errors.
"""

from __future__ import annotations

import codecs
import re

from workers.errors import EmptyInput, UndecodableInput

# Pages are only sniffed for <meta charset> in their head; 4 KiB is what browsers scan too.
_META_SNIFF_BYTES = 4096
# A declared or detected charset is accepted if at most this share of characters fail.
_MAX_BAD_SHARE = 0.002

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE
)
# Labels that are subsets of GB18030: reading them as GB18030 loses nothing.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn", "hz-gb-2312", "csgb2312"}
_BIG5_FAMILY = {"big5", "big5-hkscs", "cp950", "x-big5"}
_HTML_TAGS = re.compile(
    r"<\s*(html|head|body|div|p|article|span|meta|title|table|a|br|section|script)\b[^>]*>",
    re.IGNORECASE,
)


def _normalize_charset(label: str | None) -> str | None:
    """Map a declared label to the Python codec we actually read it with."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    if name in _BIG5_FAMILY:
        # Big5-HKSCS is a superset of Big5 as browsers read it.
        return "big5hkscs"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decode_if_clean(data: bytes, codec: str) -> str | None:
    """Decode with ``codec`` if the bytes fit it with (almost) no errors, else ``None``."""
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        text = data.decode(codec, errors="replace")
    except LookupError:
        return None
    bad = text.count("\ufffd")
    if bad and bad / max(len(text), 1) <= _MAX_BAD_SHARE:
        return text
    return None


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:_META_SNIFF_BYTES])
    return match.group(1).decode("ascii", errors="ignore") if match else None


def _strip_bom(data: bytes) -> tuple[bytes, str | None]:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :], codec
    return data, None


def _looks_like_text(text: str) -> bool:
    """Reject decodings that are mostly control characters (binary read as text)."""
    if not text:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls / len(text) < 0.01


def decode_bytes(data: bytes, declared_charset: str | None = None) -> str:
    """Decode raw page or text bytes to ``str``.

    Tries strict UTF-8, then ``declared_charset`` (from the HTTP header), then the
    ``<meta>`` charset, then detection. GB2312/GBK are read as GB18030 and Big5 as
    Big5-HKSCS. Raises :class:`EmptyInput` for empty or whitespace-only input and
    :class:`UndecodableInput` when no charset reads the bytes as text.
    """
    if not data or not data.strip():
        raise EmptyInput("the input is empty (0 bytes of text)")
    body, bom_codec = _strip_bom(data)
    if bom_codec is not None:
        text = _decode_if_clean(body, bom_codec)
        if text is not None and _looks_like_text(text):
            return text

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _looks_like_text(text):
            return text
        raise UndecodableInput("the input is binary data, not text (control characters)")

    for label in (declared_charset, _meta_charset(body)):
        codec = _normalize_charset(label)
        if codec is None or codec == "utf-8":
            continue
        text = _decode_if_clean(body, codec)
        if text is not None and _looks_like_text(text):
            return text

    detected = _detect(body)
    if detected is not None:
        return detected
    raise UndecodableInput(
        "could not decode the input as UTF-8, GB18030, Big5 or any detected charset "
        f"({len(data)} bytes; declared charset: {declared_charset or 'none'})"
    )


def _detect(data: bytes) -> str | None:
    """Charset detection as the last resort; only CJK-friendly results are trusted."""
    from charset_normalizer import from_bytes  # imported here: it loads its tables lazily

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        return None
    codec = _normalize_charset(best.encoding) or best.encoding
    # Try the widened codec first, then the family members: detectors often name
    # a narrow sibling (gb2312, cp950) of what the page really is.
    for candidate in (codec, "gb18030", "big5hkscs"):
        text = _decode_if_clean(data, candidate)
        if text is not None and _looks_like_text(text) and _mostly_meaningful(text):
            return text
    return None


def _mostly_meaningful(text: str) -> bool:
    """A decoding is plausible if most non-ASCII characters are common CJK or punctuation.

    Garbage bytes decode "cleanly" under single-byte codecs and even under GB18030 into
    rare ideographs and symbols; real text is dominated by CJK Unified Ideographs,
    CJK punctuation and full-width forms.
    """
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return sum(ch.isprintable() or ch in "\r\n\t" for ch in text) / len(text) > 0.95
    good = sum(
        1
        for ch in non_ascii
        if "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or ch in "“”‘’…—·"
    )
    return good / len(non_ascii) > 0.9


def looks_like_html(text: str) -> bool:
    """True when ``text`` is an HTML document or fragment rather than plain text.

    Looks for a doctype or at least two common structural tags near the start; a
    plain article that mentions ``<p>`` once is not HTML.
    """
    head = text.lstrip()[:4096]
    if head[:15].lower().startswith(("<!doctype html", "<html", "<?xml")):
        return True
    return len(_HTML_TAGS.findall(head)) >= 2


# Markup that acts rather than shows: elements whose content is code, a frame or raw
# text, and any tag with an event handler or a javascript: address. Text holding any
# of it is read through an HTML parser (``visible_text``) before anything else.
_ACTIVE_MARKUP = re.compile(
    r"<\s*/?\s*(?:script|style|iframe|frame|frameset|object|embed|applet|svg|math|template"
    r"|noscript|noembed|noframes|textarea|xmp|plaintext|base|link|meta|form)\b"
    r"|<[a-z][^<>]{0,2000}?(?:\son[a-z]+\s*=|javascript\s*:)",
    re.IGNORECASE,
)
# Elements whose content is never shown as text (code, styles, frames, raw text).
_INVISIBLE = (
    "script, style, noscript, template, iframe, frame, frameset, object, embed, applet, "
    "svg, math, textarea, xmp, plaintext, noembed, noframes, head > meta, head > link"
)
# Elements that start and end a line of text.
_BLOCKS = (
    "p, div, li, ul, ol, dl, dt, dd, h1, h2, h3, h4, h5, h6, tr, table, section, article, "
    "header, footer, aside, nav, blockquote, pre, title, figure, figcaption, address, main"
)


def has_active_markup(text: str) -> bool:
    """Whether ``text`` holds a script, style, frame or event handler (see above).
    A plain article that writes ``a<b`` or ``<i>`` as characters does not."""
    return _ACTIVE_MARKUP.search(text) is not None


def visible_text(html: str) -> str:
    """What a browser shows of ``html``, one line per block: parsed as HTML5
    (selectolax's lexbor), scripts, styles, frames and every attribute gone,
    entities decoded, ``<br>`` and block elements as line breaks."""
    from selectolax.lexbor import LexborHTMLParser  # imported here: only markup needs it

    tree = LexborHTMLParser(html)
    for node in tree.css(_INVISIBLE):
        node.decompose()
    for node in tree.css("br"):
        node.replace_with("\n")
    for node in tree.css(_BLOCKS):
        node.insert_before("\n")
        node.insert_after("\n")
    root = tree.root
    text = root.text(deep=True, separator="") if root is not None else ""
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip("\n")


def without_markup(text: str, *, rounds: int = 3) -> str:
    """``text`` as it is, or, when it holds active markup, its ``visible_text`` (again
    while decoded entities spell more markup, up to ``rounds`` times)."""
    for _ in range(rounds):
        if not has_active_markup(text):
            break
        text = visible_text(text)
    return text
