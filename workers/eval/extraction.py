"""``eval extraction``: how well main-text extraction does on the shared HTML test pages.

Scores newsum's :func:`extract_main_text` and the baselines (trafilatura,
readability-lxml, newspaper4k) on the pages of ``manifest.jsonl`` that have an
answer: ``gold_main_text`` (gold_type ``full_text`` / ``expected_html``) or, failing
that, ``silver_gne_output.content`` (one library's unchecked 2019 output).

Character-level precision / recall / F1 (see :func:`char_prf`): both texts have
all whitespace removed (``str.split`` whitespace, which includes U+3000), C1 control
characters U+0080–U+009F are read as the Windows-1252 characters they stand for
(the gold text of one page carries raw ``\\x93``/``\\x94`` quote bytes that browsers
show as “ ”), then each text is a multiset of characters;
``overlap = sum(min(count_pred[c], count_gold[c]))``, ``P = overlap / len(pred)``,
``R = overlap / len(gold)``, ``F1 = 2PR / (P + R)`` (0 when both are 0). Order is
ignored. Overall figures are macro averages over pages.

Metadata hits: a title counts when the normalized extracted title equals, contains
or is contained in the expected one (the manifest's ``title``, else the silver
``title``), and counts as exact (``titles_exact``) when it equals it; a date
when the ISO dates agree (the manifest's ``publish_date``, else the silver
``publish_time``); an author when any expected name (manifest ``byline`` /
silver ``author``; placeholders such as 未知 skipped) equals or is contained in a
name the tool credits: for newsum its ``authors`` and ``editors`` (Chinese portals
credit the 责任编辑 where others expect an author), for a baseline its author field.
readability-lxml has no author or date field and scores 0 there.

Nothing runs at import: the baselines are imported inside the functions, and
newspaper4k (a dev-only dependency) is skipped with a note when it is missing.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workers.article.extract import extract_main_text
from workers.article.intake import decode_bytes
from workers.article.metadata import normalize_date

_PLACEHOLDER_AUTHORS = {"", "未知", "佚名", "搜索", "匿名", "admin"}


def _normalize_chars(text: str) -> str:
    chars = []
    for ch in "".join(text.split()):
        if "\x80" <= ch <= "\x9f":
            with contextlib.suppress(UnicodeDecodeError):  # 0x81 etc. have no cp1252 glyph
                ch = bytes([ord(ch)]).decode("cp1252")
        chars.append(ch)
    return "".join(chars)


def char_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-characters precision, recall and F1 of ``predicted`` against ``gold``.

    Whitespace removed, C1 controls read as cp1252, multiset intersection of
    characters; see the module docstring.
    """
    pred = Counter(_normalize_chars(predicted))
    ref = Counter(_normalize_chars(gold))
    overlap = sum((pred & ref).values())
    precision = overlap / sum(pred.values()) if pred else 0.0
    recall = overlap / sum(ref.values()) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- the tools -----------------------------------------------------------------------


def _run_newsum(html: str, url: str | None) -> dict[str, Any]:
    article = extract_main_text(html, url=url)
    return {
        "text": article.text,
        "title": article.title,
        "date": article.published,
        "people": article.authors + article.editors,
    }


def _run_trafilatura(html: str, url: str | None) -> dict[str, Any]:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, include_comments=False, with_metadata=True)
    if doc is None or isinstance(doc, dict):  # dict only with as_dict=True
        return {"text": "", "title": None, "date": None, "people": []}
    return {
        "text": doc.text or "",
        "title": doc.title,
        "date": normalize_date(str(doc.date)) if doc.date else None,
        "people": [doc.author] if doc.author else [],
    }


def _run_readability(html: str, url: str | None) -> dict[str, Any]:
    import lxml.html
    from readability import Document

    document = Document(html)
    summary = document.summary(html_partial=True)
    text = ""
    if summary.strip():
        root = lxml.html.fragment_fromstring(summary, create_parent="div")
        for br in root.iter("br"):
            br.tail = "\n" + (br.tail or "")
        text = root.text_content()
    return {"text": text, "title": document.short_title(), "date": None, "people": []}


def _run_newspaper(html: str, url: str | None) -> dict[str, Any]:
    from newspaper import Article, Config

    config = Config()
    config.fetch_images = False  # it would try the network for the top image otherwise
    config.language = "zh"
    article = Article(url or "http://example.invalid/article.html", config=config)
    article.download(input_html=html)
    article.parse()
    return {
        "text": article.text or "",
        "title": article.title,
        "date": article.publish_date.date().isoformat() if article.publish_date else None,
        "people": list(article.authors or []),
    }


_BASELINES: dict[str, tuple[str, Callable[[str, str | None], dict[str, Any]]]] = {
    "trafilatura": ("trafilatura", _run_trafilatura),
    "readability-lxml": ("readability", _run_readability),
    "newspaper4k": ("newspaper", _run_newspaper),
}


# --- scoring -------------------------------------------------------------------------


def _norm_title(title: str) -> str:
    return re.sub(r"[\s\"'“”‘’]", "", title)


def _title_hit(found: str | None, expected: str | None) -> bool | None:
    if not expected:
        return None
    if not found:
        return False
    a, b = _norm_title(found), _norm_title(expected)
    return bool(a) and (a == b or a in b or b in a)


def _title_exact(found: str | None, expected: str | None) -> bool | None:
    if not expected:
        return None
    return bool(found) and _norm_title(found or "") == _norm_title(expected)


def _date_hit(found: str | None, expected: str | None) -> bool | None:
    want = normalize_date(expected or "")
    if not want:
        return None
    return bool(found) and normalize_date(found or "") == want


def _author_hit(found: list[str], expected: list[str]) -> bool | None:
    if not expected:
        return None
    return any(e and (e in f or (len(f) >= 2 and f in e)) for e in expected for f in found if f)


def _expected(row: dict[str, Any]) -> dict[str, Any] | None:
    silver = row.get("silver_gne_output") or {}
    if row.get("gold_main_text"):
        kind, text = "gold", row["gold_main_text"]
        authors = [row["byline"]] if row.get("byline") else []
    elif silver.get("content"):
        kind, text = "silver", silver["content"]
        authors = [silver.get("author") or ""]
    else:
        return None
    # The manifest's own title and date where it has them, else the silver output's.
    title = row.get("title") or silver.get("title")
    date = row.get("publish_date") or silver.get("publish_time")
    authors = [a.strip() for a in authors if a.strip() not in _PLACEHOLDER_AUTHORS]
    return {"kind": kind, "text": text, "authors": authors, "title": title, "date": date}


def _empty_totals() -> dict[str, Any]:
    return {"gold": [], "silver": [], "authors": [], "titles": [], "titles_exact": [], "dates": []}


def _summarize(totals: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("gold", "silver"):
        scores = totals[kind]
        n = len(scores)
        out[kind] = {
            "f1": sum(s[2] for s in scores) / n if n else 0.0,
            "precision": sum(s[0] for s in scores) / n if n else 0.0,
            "recall": sum(s[1] for s in scores) / n if n else 0.0,
            "pages": n,
        }
    for key in ("authors", "titles", "titles_exact", "dates"):
        label = key
        hits = [h for h in totals[key] if h is not None]
        out[f"{label}_found"] = sum(hits)
        out[f"{label}_expected"] = len(hits)
    return out


def evaluate_extraction(
    data_dir: Path,
    *,
    baselines: Sequence[str] = ("trafilatura", "readability-lxml", "newspaper4k"),
) -> dict[str, Any]:
    """Score newsum and the baselines on ``data_dir/manifest.jsonl``.

    Returns ``{"newsum": {...}, "baselines": {name: {...}}, "pages": [...], "notes": [...]}``
    where each tool has ``gold`` and ``silver`` (``f1``, ``precision``, ``recall``,
    ``pages``), ``authors_found``/``authors_expected``, ``titles_found``/…, ``dates_found``/….
    Raises ``FileNotFoundError`` when the manifest is missing and ``ValueError`` for an
    unknown baseline name.
    """
    manifest = Path(data_dir) / "manifest.jsonl"
    rows = [json.loads(line) for line in manifest.read_text("utf-8").splitlines() if line.strip()]
    unknown = [name for name in baselines if name not in _BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline(s) {unknown}; known: {sorted(_BASELINES)}")

    notes: list[str] = []
    tools: dict[str, Callable[[str, str | None], dict[str, Any]]] = {"newsum": _run_newsum}
    for name in baselines:
        module, runner = _BASELINES[name]
        try:
            __import__(module)
        except ImportError:
            notes.append(f"{name} skipped: the {module!r} package is not installed")
            continue
        tools[name] = runner

    totals = {name: _empty_totals() for name in tools}
    pages: list[dict[str, Any]] = []
    for row in rows:
        expected = _expected(row)
        if expected is None:
            continue
        html = decode_bytes((Path(data_dir) / row["file"]).read_bytes())
        url = row.get("url") if str(row.get("url") or "").startswith("http") else None
        if url and " " in url:
            url = url.split(" ", 1)[0]
        page: dict[str, Any] = {
            "file": row["file"],
            "kind": expected["kind"],
            "expected_title": expected["title"],
            "expected_date": normalize_date(expected["date"] or "") or None,
            "tools": {},
        }
        for name, runner in tools.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    found = runner(html, url)
                except Exception as exc:  # a baseline crashing on a page scores 0 there
                    found = {"text": "", "title": None, "date": None, "people": []}
                    notes.append(f"{name} failed on {row['file']}: {type(exc).__name__}")
            precision, recall, f1 = char_prf(found["text"] or "", expected["text"])
            hits = {
                "author": _author_hit(found["people"], expected["authors"]),
                "title": _title_hit(found["title"], expected["title"]),
                "date": _date_hit(found["date"], expected["date"]),
            }
            tally = totals[name]
            tally[expected["kind"]].append((precision, recall, f1))
            tally["authors"].append(hits["author"])
            tally["titles"].append(hits["title"])
            tally["titles_exact"].append(_title_exact(found["title"], expected["title"]))
            tally["dates"].append(hits["date"])
            page["tools"][name] = {
                "f1": f1,
                "precision": precision,
                "recall": recall,
                **hits,
                "title_exact": _title_exact(found["title"], expected["title"]),
                "people": found["people"],
                "title_found": found["title"],
                "date_found": found["date"],
            }
        pages.append(page)

    report: dict[str, Any] = {
        "newsum": _summarize(totals["newsum"]),
        "baselines": {name: _summarize(totals[name]) for name in tools if name != "newsum"},
        "pages": pages,
    }
    if notes:
        report["notes"] = notes
    return report


def format_extraction_table(report: dict[str, Any]) -> str:
    """A plain-text table: F1 per page and tool, then overall F1/P/R and metadata hits."""
    names = ["newsum", *report["baselines"]]
    short = {"readability-lxml": "readability", "newspaper4k": "newspaper4k"}
    heads = [short.get(n, n) for n in names]
    width = max([len(p["file"]) for p in report["pages"]] + [24])
    lines = [f"{'page':<{width}}  kind    " + "  ".join(f"{h:>12}" for h in heads)]
    lines.append("-" * len(lines[0]))
    for page in report["pages"]:
        cells = []
        for name in names:
            tool = page["tools"].get(name)
            if tool is None:
                cells.append(f"{'-':>12}")
                continue
            mark = {True: "a", False: "·", None: " "}[tool["author"]]
            cells.append(f"{100 * tool['f1']:>10.1f} {mark}")
        lines.append(f"{page['file']:<{width}}  {page['kind']:<6}  " + "  ".join(cells))
    lines.append("-" * len(lines[0]))
    summaries = {"newsum": report["newsum"], **report["baselines"]}
    for kind in ("gold", "silver"):
        for metric in ("f1", "precision", "recall"):
            label = f"{kind} {metric} (macro, {summaries['newsum'][kind]['pages']} pages)"
            cells = [f"{100 * summaries[n][kind][metric]:>12.1f}" for n in names]
            lines.append(f"{label:<{width + 8}}  " + "  ".join(cells))
    for key in ("authors", "titles", "titles_exact", "dates"):
        label = "titles exact" if key == "titles_exact" else f"{key} found"
        cells = [
            f"{summaries[n][key + '_found']:>7}/{summaries[n][key + '_expected']:<4}" for n in names
        ]
        lines.append(f"{label:<{width + 8}}  " + "  ".join(cells))
    lines.append("(a: author found, ·: author missed, blank: page names no author)")
    for note in report.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)
