"""``eval summaries``: newsum's briefs beside LEAD-1, LEAD-3 and plain TextRank, in ROUGE.

Input rows are ``{"article", "reference"}`` (Chinese article, Chinese reference
summary), optionally ``"id"``, ``"title"`` (the headline, which newsum's brief
reads), ``"group"`` (``short`` or ``long``; worked out from the article when
absent) and ``"reference_en"`` (an English reference, used only to score the
model strategies, whose output is English). Scores are character-level
ROUGE-1/2/L F1 (``workers.eval.rouge``), macro-averaged over rows, over all
rows and per group: ``short`` (at most 3 paragraphs or under 600 characters),
``long``, and ``rewritten`` (rows whose reference is not a copy of the opening).

Systems:

* ``newsum-extractive``: newsum's extractive engine (a lead-anchored brief:
  position, paragraph, headline and TextRank features, redundancy removal,
  ``models.engines.extractive``) picking ``sentences`` sentences; its brief is
  those Chinese sentences joined.
* ``lead1`` / ``lead3``: the first one / three sentences.
* ``textrank``: plain TextRank over sentences (Mihalcea & Tarau 2004): every
  jieba token but punctuation, similarity ``|Si ∩ Sj| / (log|Si| + log|Sj|)``,
  PageRank (d = 0.85), top ``sentences``, no position prior and no stop words.
* ``newsum-<strategy>`` for model strategies (``translate-then-summarize``,
  ``summarize-then-translate``, ``direct``), when the engines are loaded: their
  English brief against ``reference_en`` in word-level ROUGE; rows without an
  English reference are skipped and the report says so.

Every system reads the same sentences (``workers.article.segment.article_sentences``)
of the article as given: rows carry clean article text, not scraped pages.

A folder holding ``manifest.jsonl`` (``../shared/data/html``) is read as the
development set (``workers.eval.summary_devset``): every page whose publisher
description is a summary gives one row; the report's notes say how many
descriptions were dropped and by which rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workers.article.segment import article_sentences, split_paragraphs, split_sentences
from workers.errors import InputError, ModelUnavailable
from workers.eval.rouge import RougeScores, rouge_chinese, rouge_english
from workers.eval.summary_devset import GROUPS, DevSet, article_group, build_dev_set

if TYPE_CHECKING:
    from workers.english.engines import Engines

MODEL_STRATEGIES = ("translate-then-summarize", "summarize-then-translate", "direct")
ENGINE_CHOICES = ("extractive", *MODEL_STRATEGIES)
_DAMPING = 0.85
_PUNCT_ONLY = re.compile(r"^[\W_]+$")


@dataclass(frozen=True)
class SummaryRow:
    """One evaluation item: an article and its reference summary.

    ``group`` is ``short`` or ``long`` (``summary_devset.article_group`` when the
    row does not say); ``kind`` says how the reference relates to the article
    (``rewritten``, ``opening-copy``) where known; ``title`` feeds the brief.
    """

    id: str
    article: str
    reference: str
    reference_en: str | None = None
    title: str | None = None
    group: str = ""
    kind: str | None = None
    body: str | None = None  # where the article text came from: "gold", "newsum"

    def __post_init__(self) -> None:
        if not self.group:
            object.__setattr__(self, "group", article_group(self.article))


class SummaryRows(list[SummaryRow]):
    """Rows, with notes on how they were chosen and the pages left out (``{"id", "rule"}``)."""

    def __init__(
        self,
        rows: Sequence[SummaryRow] = (),
        notes: Sequence[str] = (),
        dropped: Sequence[dict[str, str]] = (),
    ) -> None:
        super().__init__(rows)
        self.notes = list(notes)
        self.dropped = list(dropped)


# ---------------------------------------------------------------- reading rows


def _row(data: Any, where: str) -> SummaryRow:
    if not isinstance(data, dict):
        raise InputError(f"{where}: each row must be a JSON object")
    article, reference = data.get("article"), data.get("reference")
    if not isinstance(article, str) or not article.strip():
        raise InputError(f"{where}: 'article' must be a non-empty string")
    if not isinstance(reference, str) or not reference.strip():
        raise InputError(f"{where}: 'reference' must be a non-empty string")
    reference_en = data.get("reference_en")
    if reference_en is not None and not isinstance(reference_en, str):
        raise InputError(f"{where}: 'reference_en' must be a string")
    title, group = data.get("title"), data.get("group") or ""
    if title is not None and not isinstance(title, str):
        raise InputError(f"{where}: 'title' must be a string")
    if group and group not in GROUPS:
        raise InputError(f"{where}: 'group' must be one of {list(GROUPS)}")
    return SummaryRow(
        str(data.get("id", where)), article, reference, reference_en, title=title, group=group
    )


def dev_set_rows(dev: DevSet, folder: Path) -> SummaryRows:
    """The rows of a development set built from ``folder``, with notes on what it left out."""
    rows = [
        SummaryRow(
            r.id, r.article, r.reference, title=r.title, group=r.group, kind=r.kind, body=r.body
        )
        for r in dev.rows
    ]
    bodies = {b: sum(r.body == b for r in dev.rows) for b in ("gold", "newsum")}
    notes = [
        f"development set: {len(rows)} page(s) of {folder} whose publisher description is a "
        f"summary (article text: {bodies['gold']} gold, {bodies['newsum']} newsum's extraction)"
    ]
    if dev.dropped:
        notes.append(
            "descriptions dropped: "
            + ", ".join(f"{rule} {count}" for rule, count in sorted(dev.dropped.items()))
        )
    dropped = [{"id": page, "rule": rule} for page, rule in dev.dropped_pages]
    return SummaryRows(rows, notes, dropped)


def read_summary_rows(source: Path) -> SummaryRows:
    """Rows from a JSONL file, or the development set of a folder of pages with
    ``manifest.jsonl`` (``workers.eval.summary_devset``). Raises InputError naming the line."""
    source = Path(source)
    if source.is_dir():
        manifest = source / "manifest.jsonl"
        if not manifest.is_file():
            raise InputError(f"{source} has no manifest.jsonl")
        dev = dev_set_rows(build_dev_set(source), source)
        if not dev:
            raise InputError(f"{manifest}: no page has a description that is a summary")
        return dev
    rows = SummaryRows()
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{source} line {number}: not JSON ({exc})") from None
        rows.append(_row(data, f"line-{number}"))
    if not rows:
        raise InputError(f"{source} holds no rows")
    return rows


# ---------------------------------------------------------------- baselines


def sentences_by_paragraph(article: str) -> tuple[list[str], list[int]]:
    """The article's sentences (as ``article_sentences`` gives them) and each one's paragraph."""
    sentences: list[str] = []
    paragraphs: list[int] = []
    for number, paragraph in enumerate(split_paragraphs(article)):
        for sentence in split_sentences(paragraph):
            sentences.append(sentence)
            paragraphs.append(number)
    return sentences, paragraphs


def lead(sentences: Sequence[str], k: int) -> list[int]:
    """The first ``k`` sentences."""
    return list(range(min(k, len(sentences))))


def _tokens(sentence: str) -> set[str]:
    from models.engines.extractive import load_jieba

    jieba = load_jieba()
    return {w for w in jieba.lcut(sentence) if w.strip() and not _PUNCT_ONLY.match(w)}


def plain_textrank(sentences: Sequence[str], k: int) -> list[int]:
    """Plain TextRank over sentences (no position prior, no stop words): indices of
    the ``k`` best, in article order; ties go to the earlier sentence."""
    n = len(sentences)
    if n <= k:
        return list(range(n))
    words = [_tokens(s) for s in sentences]
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            shared = len(words[i] & words[j])
            scale = math.log(len(words[i]) or 1) + math.log(len(words[j]) or 1)
            if shared and scale > 0:
                weights[i, j] = weights[j, i] = shared / scale
    out = weights.sum(axis=1, keepdims=True)
    # A sentence sharing nothing spreads its vote evenly (the usual dangling-node rule).
    transition = np.where(out > 0, weights / np.where(out > 0, out, 1), 1.0 / n)
    scores = np.full(n, 1.0 / n)
    for _ in range(100):
        updated = (1 - _DAMPING) / n + _DAMPING * transition.T @ scores
        if np.abs(updated - scores).sum() < 1e-9:
            scores = updated
            break
        scores = updated
    best = sorted(range(n), key=lambda i: (-round(float(scores[i]), 12), i))[:k]
    return sorted(best)


# ---------------------------------------------------------------- evaluation


def _mean(scores: list[RougeScores]) -> dict[str, float | int]:
    n = len(scores)
    return {
        "rouge1": sum(s.rouge1 for s in scores) / n if n else 0.0,
        "rouge2": sum(s.rouge2 for s in scores) / n if n else 0.0,
        "rougeL": sum(s.rougeL for s in scores) / n if n else 0.0,
        "n": n,
    }


def _model_brief(article: str, strategy: str, sentences: int, engines: Engines) -> str:
    from workers.article.prepared import PreparedArticle
    from workers.contract import SummaryOptions
    from workers.pipeline import summarize_prepared

    prepared = PreparedArticle(
        text=article, sentences=article_sentences(article), language="zh-Hans"
    )
    options = SummaryOptions.model_validate(
        {"profile": "standard", "strategy": strategy, "sentences": sentences}
    )
    result = summarize_prepared(prepared, options, engines, key="eval")
    return result.summary.en or ""


def evaluate_summaries(
    rows: Sequence[SummaryRow],
    *,
    engines: Sequence[str] = ("extractive",),
    sentences: int = 3,
    loaded: Engines | None = None,
) -> dict[str, Any]:
    """Score each asked-for newsum engine and the baselines on ``rows``.

    Returns ``{"systems": {name: {"rouge1", "rouge2", "rougeL", "n"}}, "rows": [...],
    "sentences": N, "notes": [...]}``; scores are F1 in [0, 1]. ``engines`` names
    newsum strategies (``extractive``, or a model strategy, which needs ``loaded``
    engines with models and raises ModelUnavailable without them).
    """
    from models.engines.extractive import TextRankRanker

    if sentences < 1:
        raise InputError(f"sentences must be at least 1 (got {sentences})")
    unknown = [e for e in engines if e not in ENGINE_CHOICES]
    if unknown:
        raise InputError(f"unknown engine(s) {unknown}; known: {list(ENGINE_CHOICES)}")
    models_wanted = [e for e in engines if e in MODEL_STRATEGIES]
    if models_wanted and (loaded is None or loaded.translator is None):
        raise ModelUnavailable(
            f"engine(s) {models_wanted} need the translation and summary models: run "
            "`newsum models pull`"
        )

    ranker = TextRankRanker()
    pickers = {
        "lead1": lambda s: lead(s, 1),
        "lead3": lambda s: lead(s, 3),
        "textrank": lambda s: plain_textrank(s, sentences),
    }
    names = (["newsum-extractive"] if "extractive" in engines else []) + list(pickers)
    scores: dict[str, list[RougeScores]] = {name: [] for name in names}
    model_scores: dict[str, list[RougeScores]] = {f"newsum-{e}": [] for e in models_wanted}
    notes: list[str] = []
    per_row: list[dict[str, Any]] = []
    for row in rows:
        split, paragraphs = sentences_by_paragraph(row.article)
        briefs: dict[str, str] = {}
        if "extractive" in engines:
            picked = ranker.rank(split, sentences, paragraphs=paragraphs, title=row.title)
            briefs["newsum-extractive"] = "".join(split[i] for i in picked)
        for name, pick in pickers.items():
            briefs[name] = "".join(split[i] for i in pick(split))
        row_scores = {name: rouge_chinese(brief, row.reference) for name, brief in briefs.items()}
        for name, score in row_scores.items():
            scores[name].append(score)
        for strategy in models_wanted:
            if row.reference_en is None:
                continue
            assert loaded is not None
            english = _model_brief(row.article, strategy, sentences, loaded)
            score = rouge_english(english, row.reference_en)
            model_scores[f"newsum-{strategy}"].append(score)
            row_scores[f"newsum-{strategy}"] = score
        per_row.append(
            {
                "id": row.id,
                "group": row.group,
                "kind": row.kind,
                "body": row.body,
                **{name: vars(score) for name, score in row_scores.items()},
            }
        )
    for strategy in models_wanted:
        skipped = sum(row.reference_en is None for row in rows)
        if skipped:
            notes.append(
                f"newsum-{strategy} writes English: scored by word-level ROUGE on the "
                f"{len(rows) - skipped} row(s) with reference_en; {skipped} row(s) without "
                "one skipped"
            )
    notes = list(getattr(rows, "notes", [])) + notes
    systems = {name: _mean(values) for name, values in {**scores, **model_scores}.items()}
    return {
        "systems": systems,
        "groups": _by_group(rows, scores),
        "rows": per_row,
        "dropped": list(getattr(rows, "dropped", [])),
        "sentences": sentences,
        "notes": notes,
    }


def _by_group(
    rows: Sequence[SummaryRow], scores: dict[str, list[RougeScores]]
) -> dict[str, dict[str, dict[str, float | int]]]:
    """The Chinese systems' means over each group of rows: ``short``, ``long``, and, where
    rows say how their reference was written, ``rewritten`` (not a copy of the opening)."""
    members = {group: [i for i, r in enumerate(rows) if r.group == group] for group in GROUPS}
    if any(r.kind for r in rows):
        members["rewritten"] = [i for i, r in enumerate(rows) if r.kind == "rewritten"]
    return {
        group: {name: _mean([values[i] for i in idx]) for name, values in scores.items()}
        for group, idx in members.items()
        if idx
    }


def _table_lines(systems: dict[str, dict[str, float]], width: int) -> list[str]:
    return [
        f"{name:<{width}}  {100 * score['rouge1']:>8.1f}  {100 * score['rouge2']:>8.1f}  "
        f"{100 * score['rougeL']:>8.1f}  {int(score['n']):>5}"
        for name, score in systems.items()
    ]


def format_summaries_table(report: dict[str, Any]) -> str:
    """A plain-text table: one line per system, ROUGE F1 in percent; then one block per
    group of rows (short, long, rewritten references) when the rows fall in groups."""
    systems: dict[str, dict[str, float]] = report["systems"]
    width = max([len(name) for name in systems] + [8])
    lines = [f"{'system':<{width}}  {'ROUGE-1':>8}  {'ROUGE-2':>8}  {'ROUGE-L':>8}  {'rows':>5}"]
    lines.append("-" * len(lines[0]))
    lines.extend(_table_lines(systems, width))
    for group, group_systems in report.get("groups", {}).items():
        n = next(iter(group_systems.values()))["n"]
        lines.append(f"-- {group} ({n} row(s)) " + "-" * max(0, len(lines[0]) - len(group) - 16))
        lines.extend(_table_lines(group_systems, width))
    lines.append(
        f"(character-level F1, macro over rows; newsum and textrank pick "
        f"{report['sentences']} sentence(s))"
    )
    lines.extend(f"note: {note}" for note in report.get("notes", []))
    return "\n".join(lines)
