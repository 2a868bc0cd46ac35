"""A result as Markdown a person can read in a terminal or paste into an email."""

from __future__ import annotations

from workers.contract import SummaryResult


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def result_to_markdown(result: SummaryResult) -> str:
    article, summary = result.article, result.summary
    lines: list[str] = []
    heading = article.title_en or article.title or "Untitled article"
    lines.append(f"# {heading}")
    if article.title and article.title_en:
        lines.append(f"*{article.title}*")
    meta = []
    if article.published:
        meta.append(f"**Published** {article.published}")
    if article.outlet:
        meta.append(f"**Outlet** {article.outlet}")
    if article.authors:
        names = ", ".join(
            f"{a.name} ({a.romanized})" if a.romanized else a.name for a in article.authors
        )
        meta.append(f"**By** {names}")
    if article.editors:
        meta.append(
            "**Editor** "
            + ", ".join(
                f"{e.name} ({e.romanized})" if e.romanized else e.name for e in article.editors
            )
        )
    if meta:
        lines += ["", " · ".join(meta)]
    lines += ["", f"## Summary ({summary.method})", ""]
    if summary.en:
        for sentence in summary.sentences:
            if sentence.en:
                refs = ", ".join(str(i) for i in sentence.sources)
                lines.append(f"- {sentence.en}" + (f" [{refs}]" if refs else ""))
    else:
        lines.append("*No English summary: see the warnings below.*")
    if summary.zh:
        lines += ["", "### 中文要点", ""]
        zh_sentences = [s for s in summary.sentences if s.zh]
        if zh_sentences:
            lines += [f"- {s.zh} [{', '.join(str(i) for i in s.sources)}]" for s in zh_sentences]
        else:
            lines.append(summary.zh)
    if result.key_terms:
        lines += ["", "## Key terms", "", "| 中文 | pinyin | English |", "|---|---|---|"]
        for term in result.key_terms:
            lines.append(f"| {term.zh} | {term.pinyin} | {_escape(term.en or '—')} |")
    checks = result.checks
    if checks.numbers.missing or checks.numbers.unsupported:
        lines += ["", "## Number check", ""]
        if checks.numbers.unsupported:
            lines.append("- not in the source: " + ", ".join(checks.numbers.unsupported))
        if checks.numbers.missing:
            lines.append("- left out: " + ", ".join(checks.numbers.missing))
    if checks.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in checks.warnings]
    if result.translation:
        lines += ["", "## Translation", ""]
        lines += [f"{i}. {t.en}  \n   {t.zh}" for i, t in enumerate(result.translation)]
    models = ", ".join(f"{m.id} ({m.engine})" for m in result.provenance.models)
    lines += [
        "",
        f"---\npipeline {result.provenance.pipeline} · profile {result.provenance.profile}"
        f" · {models} · {result.provenance.elapsed_ms} ms",
    ]
    return "\n".join(lines)
