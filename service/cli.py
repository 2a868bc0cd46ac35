"""The ``newsum`` command line.

In-process commands (``summarize``, ``batch``, ``eval``, ``models``) run the
pipeline right here, with no Redis and no worker; they import it inside the
command so that ``newsum serve``/``newsum --help`` never pull in models.
Bad input ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from service.cli_errors import EXIT_BAD_INPUT, F, fail, friendly_errors
from service.model_commands import models_group
from workers.contract import MAX_SENTENCES, ArticleInput, SummaryOptions, SummaryResult
from workers.errors import InputError, NewsumError
from workers.settings import Settings, load_settings

if TYPE_CHECKING:
    from workers.english.engines import Engines

ARTICLE_SUFFIXES = (".txt", ".html", ".htm", ".text")


def summary_options(func: F) -> F:
    """The request options of DESIGN.md, as flags."""
    decorators = [
        click.option(
            "--profile",
            type=click.Choice(["auto", "offline", "standard", "llm"]),
            default="auto",
            show_default=True,
            help="offline: no weights; standard: the default models; llm: an instruct model "
            "writes the brief (NEWSUM_LLM_MODEL); auto: models if present.",
        ),
        click.option(
            "--strategy",
            type=click.Choice(
                [
                    "translate-then-summarize",
                    "summarize-then-translate",
                    "direct",
                    "direct-llm",
                    "extractive",
                ]
            ),
            default=None,
            help="Default: translate-then-summarize with models, extractive without.",
        ),
        click.option(
            "--sentences",
            type=click.IntRange(1, MAX_SENTENCES),
            default=4,
            show_default=True,
            help="Sentences in the brief.",
        ),
        click.option(
            "--translate/--no-translate",
            default=True,
            show_default=True,
            help="Translate the article sentence by sentence when a translator is present.",
        ),
        click.option(
            "--glossary",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            default=None,
            help="Glossary of terms to translate as given: a JSON object {zh: en} or "
            "zh<TAB>en lines.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_options(
    profile: str, strategy: str | None, sentences: int, translate: bool, glossary: Path | None
) -> SummaryOptions:
    terms = None
    if glossary is not None:
        from workers.english.glossary import parse_glossary

        try:
            text = glossary.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"glossary {glossary} is not UTF-8: {exc}") from None
        terms = parse_glossary(text, source=str(glossary))
    return SummaryOptions.model_validate(
        {
            "profile": profile,
            "strategy": strategy,
            "sentences": sentences,
            "translate": translate,
            "glossary": terms,
        }
    )


def article_from_source(source: str) -> ArticleInput:
    """A path, a URL or ``-`` (stdin) as an ArticleInput; files travel as bytes so
    the intake step sniffs their charset."""
    import base64

    if source.startswith(("http://", "https://")):
        return ArticleInput(url=source)
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    if source.lower().endswith((".html", ".htm")) or data.lstrip()[:1] == b"<":
        return ArticleInput(html_b64=base64.b64encode(data).decode("ascii"))
    from workers.article.intake import decode_bytes

    return ArticleInput(text=decode_bytes(data))


def check_source(source: str) -> None:
    """Exit 2 (bad input) unless ``source`` is ``-``, a URL or a readable file."""
    if source == "-" or source.startswith(("http://", "https://")):
        return
    path = Path(source)
    if path.is_dir():
        fail(
            f"{source} is a folder: `newsum summarize` reads one file, `newsum batch` a folder",
            EXIT_BAD_INPUT,
        )
    if not path.is_file():
        fail(f"No such file: {source}", EXIT_BAD_INPUT)


def check_output(out: Path) -> None:
    """Exit 2 (bad input) when ``out`` cannot be written: its folder is missing."""
    if not out.parent.is_dir():
        fail(f"{out.parent}: no such folder to write {out.name} in", EXIT_BAD_INPUT)


def load_local_engines(settings: Settings, profile: str) -> Engines:
    from workers.english.engines import load_engines

    return load_engines(settings, profile)


def run_one(
    article: ArticleInput, options: SummaryOptions, engines: Engines, settings: Settings
) -> SummaryResult:
    from workers.article.fetch import fetch_url
    from workers.pipeline import summarize_article
    from workers.store.digests import request_digest

    def fetch(url: str) -> tuple[bytes, str | None]:
        return fetch_url(url, max_bytes=settings.max_bytes)

    key = request_digest(article, options, engines.fingerprint())
    return summarize_article(article, options, engines, settings, key=key, fetch=fetch)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsum")
def cli() -> None:
    """newsum: Chinese news reports in, faithful English briefs out."""


@cli.command()
@click.argument("source")
@summary_options
@click.option(
    "--format", "fmt", type=click.Choice(["json", "md"]), default="json", show_default=True
)
@friendly_errors
def summarize(
    source: str,
    profile: str,
    strategy: str | None,
    sentences: int,
    translate: bool,
    glossary: Path | None,
    fmt: str,
) -> None:
    """Summarize one article: a PATH (text or HTML), a URL, or - for stdin."""
    check_source(source)
    settings = load_settings()
    options = build_options(profile, strategy, sentences, translate, glossary)
    article = article_from_source(source)
    engines = load_local_engines(settings, profile)
    result = run_one(article, options, engines, settings)
    if fmt == "md":
        from service.markdown import result_to_markdown

        click.echo(result_to_markdown(result))
    else:
        click.echo(result.model_dump_json(indent=2))


def iter_batch(source: Path) -> Iterator[tuple[str, ArticleInput | NewsumError]]:
    """(id, article or the error that made it unreadable) for each batch item."""
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES)
        if not files:
            raise InputError(f"{source} holds no {', '.join(ARTICLE_SUFFIXES)} files")
        for path in files:
            try:
                yield path.name, article_from_source(str(path))
            except NewsumError as exc:
                yield path.name, exc
        return
    with source.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            item_id = f"line-{number}"
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("each line must be a JSON object")
                item_id = str(row.pop("id", item_id))
                row.pop("options", None)
                yield item_id, ArticleInput.model_validate(row)
            except ValueError as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if "validation error" in reason:
                    reason = "; ".join(str(exc).splitlines()[1:3])
                yield item_id, InputError(f"line {number}: {reason}")


@cli.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="JSONL file: one line per article, in input order.",
)
@summary_options
@click.option(
    "--cluster/--no-cluster",
    default=True,
    show_default=True,
    help="Summarize each story once: near-duplicates (reposted wire copy) share the first "
    "one's summary, and each result's `cluster` says what it adds or lacks.",
)
@friendly_errors
def batch(
    source: Path,
    out: Path,
    profile: str,
    strategy: str | None,
    sentences: int,
    translate: bool,
    glossary: Path | None,
    cluster: bool,
) -> None:
    """Summarize many articles in-process: a DIR of .txt/.html files or a FILE.jsonl
    of {"id", "text"|"html"|"url"} rows. A failed article gets an error line; the
    batch goes on."""
    from tqdm import tqdm

    from workers.article.fetch import fetch_url
    from workers.article.prepared import PreparedArticle
    from workers.batch.clustering import group_near_duplicates, with_cluster
    from workers.batch.rows import batch_row, row_line
    from workers.english.glossary import server_glossary
    from workers.pipeline import prepare_article, summarize_prepared
    from workers.store.digests import request_digest

    def fetch(url: str) -> tuple[bytes, str | None]:
        return fetch_url(url, max_bytes=settings.max_bytes)

    check_output(out)
    settings = load_settings()
    options = build_options(profile, strategy, sentences, translate, glossary)
    items = list(iter_batch(source))
    ids = [item_id for item_id, _ in items]
    engines = load_local_engines(settings, profile)
    base_glossary = server_glossary(settings)
    # Extraction first (no models): clustering needs every article's clean text.
    prepared: list[PreparedArticle | NewsumError] = []
    for _, item in tqdm(items, desc="extracting", unit="article", file=sys.stderr):
        try:
            if isinstance(item, NewsumError):
                raise item
            prepared.append(prepare_article(item, settings, fetch=fetch))
        except NewsumError as exc:
            prepared.append(exc)
    plan = group_near_duplicates([p if isinstance(p, PreparedArticle) else None for p in prepared])
    if not cluster:
        plan = [None] * len(prepared)
    shared: dict[int, SummaryResult] = {}
    done = failed = reused = 0
    with out.open("w", encoding="utf-8") as sink:
        rows = zip(items, prepared, plan, strict=True)
        for index, ((item_id, item), article, assignment) in enumerate(
            tqdm(list(rows), desc="summarizing", unit="article", file=sys.stderr)
        ):
            try:
                if isinstance(article, NewsumError):
                    raise article
                assert isinstance(item, ArticleInput)
                key = request_digest(item, options, engines.fingerprint())
                first = shared.get(assignment.cluster) if assignment else None
                if first is None:
                    result = summarize_prepared(
                        article,
                        options,
                        engines,
                        key=key,
                        base_glossary=base_glossary,
                        review_confidence=settings.review_confidence,
                    )
                    if assignment is not None and assignment.size > 1:
                        shared[assignment.cluster] = result
                else:
                    result = first
                    reused += 1
                # The service's row shape (``workers.batch.rows``): grouped items carry their
                # cluster, a member its own page's headline, date and outlet.
                if assignment is not None and assignment.size > 1:
                    result = with_cluster(result, assignment, key=key, ids=ids, own=article)
                group = result.cluster.model_dump() if result.cluster else None
                row = batch_row(index, item_id, "done", cluster=group)
                sink.write(row_line(row, result.model_dump_json()))
                done += 1
            except NewsumError as exc:
                row = batch_row(index, item_id, "failed", error=exc.to_body().model_dump())
                sink.write(row_line(row, None))
                failed += 1
            sink.flush()
    stories = len({a.cluster for a in plan if a is not None})
    click.echo(f"{done} done, {failed} failed → {out}", err=True)
    if cluster:
        click.echo(f"{stories} stories; {reused} near-duplicate(s) shared a summary", err=True)


@cli.group(name="eval")
def eval_group() -> None:
    """Measure newsum against references and other tools."""


@eval_group.command(name="extraction")
@click.argument(
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("../shared/data/html"),
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def eval_extraction(data_dir: Path, as_json: bool) -> None:
    """Main-text P/R/F1 and metadata hits on DATA_DIR (a folder with manifest.jsonl),
    beside trafilatura, readability-lxml and newspaper4k."""
    from workers.eval.extraction import evaluate_extraction, format_extraction_table

    manifest = data_dir / "manifest.jsonl"
    if not manifest.is_file():
        fail(f"{data_dir} has no manifest.jsonl", EXIT_BAD_INPUT)
    try:
        report = evaluate_extraction(data_dir)
    except json.JSONDecodeError as exc:
        fail(f"{manifest}: a line is not JSON ({exc})", EXIT_BAD_INPUT)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_extraction_table(report))


@eval_group.command(name="summaries")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--engine",
    "engines",
    multiple=True,
    type=click.Choice(
        ["extractive", "translate-then-summarize", "summarize-then-translate", "direct"]
    ),
    default=("extractive",),
    show_default=True,
    help="newsum strategy to score (repeatable); model strategies need models and "
    "rows with reference_en.",
)
@click.option(
    "--sentences",
    type=click.IntRange(1, MAX_SENTENCES),
    default=3,
    show_default=True,
    help="Sentences newsum and TextRank pick.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def eval_summaries(source: Path, engines: tuple[str, ...], sentences: int, as_json: bool) -> None:
    """Character-level ROUGE-1/2/L F1 of newsum's briefs beside LEAD-1, LEAD-3 and plain
    TextRank. SOURCE: a FILE.jsonl of {"article", "reference"} rows, or a folder with
    manifest.jsonl, read as the summary development set (pages whose publisher
    description is a summary; see the README), reported per group: short, long, rewritten."""
    from workers.eval.summaries import (
        MODEL_STRATEGIES,
        evaluate_summaries,
        format_summaries_table,
        read_summary_rows,
    )

    rows = read_summary_rows(source)
    loaded = None
    if any(e in MODEL_STRATEGIES for e in engines):
        loaded = load_local_engines(load_settings(), "standard")
    report = evaluate_summaries(rows, engines=engines, sentences=sentences, loaded=loaded)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_summaries_table(report))


def checkout_root() -> Path | None:
    """The repository this install runs from, when it is one (``pip install -e .``,
    as ``make setup`` does): the benchmark lives in its bench/ and tests/, not in
    the installed packages, and reads ../shared/data beside it."""
    root = Path(__file__).resolve().parents[1]
    if (root / "bench" / "run.py").is_file() and (root / "tests" / "tiny_models.py").is_file():
        return root
    return None


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,  # --help goes to bench/run.py, which knows the flags
)
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Speed benchmark: naive generate() vs newsum's engines vs the service, on
    random-weight models of the real sizes. Takes bench/run.py's flags: --quick,
    --json, --beams N … (--help lists them)."""
    import os

    root = checkout_root()
    if root is None:
        fail("`newsum bench` runs from a checkout of the repository (bench/ and tests/)")
    assert root is not None
    # A console script's path holds only the installed packages: put the checkout
    # first, here and for the arms' child processes (``python -m bench.run``).
    sys.path.insert(0, str(root))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root), os.environ.get("PYTHONPATH")) if p
    )
    from bench.run import main as bench_main

    sys.exit(bench_main(list(ctx.args), prog="newsum bench"))


def _add_service_commands() -> None:
    from service.commands import serve_command, worker_command

    cli.add_command(serve_command, name="serve")
    cli.add_command(worker_command, name="worker")
    from service.auth import keys_group

    cli.add_command(keys_group, name="keys")


cli.add_command(models_group, name="models")


def main() -> None:
    _add_service_commands()
    cli(prog_name="newsum")
