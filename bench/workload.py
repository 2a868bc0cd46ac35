"""What every arm of the benchmark runs: the same models, articles and output lengths.

Models: random weights at the real sizes (tests/tiny_models.py, ``size="real"``),
built once into a cache dir and converted to CTranslate2 int8 there. Cost
depends on the architecture, not on the weights; but random weights never stop
on their own, so every arm forces its output length (minimum = maximum). The
builder pads the real vocabularies with ``<filler_N>`` entries; they are renamed
to word-like pieces once, before conversion, so that an English translation fed
to the summarizer (arms pipeline and service) costs about two summary tokens
per translated token rather than eleven.

Articles: the seed article and the HTML pages in ../shared/data, through
``workers.pipeline.prepare_article`` (a plain sentence split when the pipeline
is not importable), deduplicated, kept when a sentence is 8-160 source tokens
(as news sentences are; the tiny vocabulary's byte fallback makes some Chinese
longer), then cut into articles of N consecutive sentences. Each article also
gets one English summary input (~1,000 summary tokens of English prose on disk),
so one article = N translated sentences + one summary, as translate-then-summarize
does for a 60-sentence report.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data"
SEED_ARTICLE = "articles/jiaxing-theme-education-2020-01-09.txt"

MIN_SENTENCE_TOKENS = 8
MAX_SENTENCE_TOKENS = 160
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")


@dataclass
class Lengths:
    """Forced output lengths and the decoding every arm uses."""

    translation_tokens: int = 40
    summary_tokens: int = 128
    summary_input_tokens: int = 1000
    beams: int = 4

    def transformers_overrides(self, role: str) -> dict[str, int]:
        """transformers: ``max_new_tokens`` includes the forced ``</s>``; one fewer word."""
        tokens = self.tokens(role)
        return {"num_beams": self.beams, "max_new_tokens": tokens, "min_new_tokens": tokens - 1}

    def ctranslate2_overrides(self, role: str) -> dict[str, int]:
        """CTranslate2: no forced ``</s>``; the same number of decoding steps."""
        tokens = self.tokens(role)
        return {"num_beams": self.beams, "max_new_tokens": tokens, "min_new_tokens": tokens}

    def tokens(self, role: str) -> int:
        return self.translation_tokens if role == "translation" else self.summary_tokens


@dataclass
class BenchArticle:
    """One article of the workload: Chinese sentences and an English summary input."""

    sentences: list[str]
    summary_input: str
    source_tokens: int = 0

    @property
    def text(self) -> str:
        return "".join(self.sentences)


@dataclass
class BenchSetup:
    """Everything a measuring process needs, written to JSON for the child processes."""

    model_dir: str
    device: str
    ct2_compute_type: str
    lengths: Lengths
    articles: list[BenchArticle]
    naive_articles: int
    naive_sentences: int
    threads: int
    notes: list[str] = field(default_factory=list)
    # Arms transformers and ctranslate2 take the articles this many at a time, as a
    # batch worker takes a chunk (NEWSUM_BATCH_CHUNK_ARTICLES): 1 = one by one.
    chunk_articles: int = 4
    # A warm-up call per engine after the length check (which runs both models too):
    # --quick leaves it out.
    warm_up: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> BenchSetup:
        data: dict[str, Any] = json.loads(raw)
        data["lengths"] = Lengths(**data["lengths"])
        data["articles"] = [BenchArticle(**a) for a in data["articles"]]
        return cls(**data)


def build_models(model_dir: Path, *, size: str = "real", quantization: str = "int8") -> list[str]:
    """Build the random models (``size`` "real" or "tiny") and their CTranslate2 copies,
    if not there yet.

    Returns what it did, for the report ("built ...", "converted ...").
    """
    from models.convert import convert_model, ct2_path, locate_ct2
    from models.specs import get_spec
    from models.store import checkpoint_problem, model_path

    done: list[str] = []
    specs = [get_spec("translation"), get_spec("summary")]
    for spec in specs:
        # Our own folder only: a real checkpoint in the hub cache is not the workload.
        if checkpoint_problem(model_path(spec, model_dir), spec) is not None:
            from tests.tiny_models import build_bart, build_marian

            build = build_marian if spec.architecture == "marian" else build_bart
            build(model_path(spec, model_dir), size="tiny" if size == "tiny" else "real")
            done.append(f"built random {spec.id} ({size} size)")
    pieces = _summary_pieces(model_path(specs[1], model_dir))
    for spec in specs:
        if _word_like_fillers(model_path(spec, model_dir), spec.architecture, pieces):
            # The vocabulary changed: any CTranslate2 copy is stale.
            shutil.rmtree(ct2_path(spec, model_dir, quantization), ignore_errors=True)
        if locate_ct2(spec, model_dir, quantization) is None:
            convert_model(spec, model_dir, quantization=quantization)
            done.append(f"converted {spec.id} to CTranslate2 {quantization}")
    return done


def _summary_pieces(folder: Path) -> tuple[list[str], list[str]]:
    """Whole-word pieces (`` the``) and word-tail pieces (``ing``) the summarizer's
    BPE really makes: the entries below the first filler (the trained ones)."""
    vocab: dict[str, int] = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))[
        "model"
    ]["vocab"]
    filler_ids = [i for t, i in vocab.items() if t.startswith("<filler_")]
    trained = min(filler_ids) if filler_ids else 1_000
    pieces = [t for t, i in vocab.items() if i < trained]
    words = sorted(t[1:] for t in pieces if re.fullmatch("\u0120[a-z]{2,8}", t))
    tails = sorted(t for t in pieces if re.fullmatch("[a-z]{2,5}", t))
    return words, tails


def _word_like_fillers(
    folder: Path, architecture: str, pieces: tuple[list[str], list[str]]
) -> bool:
    """Rename the builder's ``<filler_N>`` vocabulary entries to word-like pieces.

    The real-size vocabularies are padded with ``<filler_N>`` entries, which
    random weights pick nearly every time; decoded, one such token is
    ``<filler_14517>``, eleven summary tokens once re-tokenized, so the
    pipeline's summary of a translation would be ~10× a real one. Named as a
    summary word plus a word tail or two (`` theing``), one comes back as two
    or three summary tokens. Returns True when it rewrote a file.
    """
    if architecture == "marian":
        vocab_file = folder / "vocab.json"
        data = json.loads(vocab_file.read_text(encoding="utf-8"))
        vocab, space = data, "\u2581"
    else:
        vocab_file = folder / "tokenizer.json"
        data = json.loads(vocab_file.read_text(encoding="utf-8"))
        vocab, space = data["model"]["vocab"], "\u0120"
    fillers = [token for token in vocab if token.startswith("<filler_")]
    if not fillers:
        return False
    words, tails = pieces
    if not words or not tails:
        words = tails = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    names = itertools.chain(
        (space + w + t for t in tails for w in words),
        (space + w + t + u for u in tails for t in tails for w in words),
    )
    taken = set(vocab)
    renamed: dict[str, str] = {}
    for token in fillers:
        name = next(names)
        while name in taken:
            name = next(names)
        taken.add(name)
        renamed[token] = name
    new_vocab = {renamed.get(token, token): index for token, index in vocab.items()}
    if architecture == "marian":
        data = new_vocab
    else:
        data["model"]["vocab"] = new_vocab
    vocab_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return True


def source_sentences(data_dir: Path = DATA_DIR) -> tuple[list[str], list[str]]:
    """Every distinct sentence of the test articles, in order; and notes on what was skipped."""
    notes: list[str] = []
    seed = data_dir / SEED_ARTICLE
    pages = sorted((data_dir / "html").glob("*.html"))
    try:
        from workers.contract import ArticleInput
        from workers.pipeline import prepare_article
        from workers.settings import load_settings

        settings = load_settings()
    except Exception as exc:  # the pipeline is being written beside this
        notes.append(f"workers.pipeline not usable ({type(exc).__name__}): plain sentence split")
        text = seed.read_text(encoding="utf-8")
        return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()], notes

    sentences: list[str] = []
    inputs = [ArticleInput(text=seed.read_text(encoding="utf-8"))]
    inputs += [ArticleInput(html_b64=base64.b64encode(p.read_bytes()).decode()) for p in pages]
    skipped = 0
    for article in inputs:
        try:
            sentences += prepare_article(article, settings).sentences
        except Exception:  # a page the extractor refuses is not the benchmark's business
            skipped += 1
    if skipped:
        notes.append(f"{skipped} of {len(inputs)} source pages gave no article text")
    return list(dict.fromkeys(s.strip() for s in sentences if s.strip())), notes


def make_articles(
    model_dir: Path,
    *,
    articles: int,
    sentences_per_article: int,
    lengths: Lengths,
    data_dir: Path = DATA_DIR,
) -> tuple[list[BenchArticle], list[str]]:
    """Cut the test sentences into ``articles`` articles; fewer when sentences run out."""
    from transformers import AutoTokenizer

    from models.specs import get_spec
    from models.store import model_path
    from tests.tiny_models import english_lines

    zh = AutoTokenizer.from_pretrained(model_path(get_spec("translation"), model_dir))
    en = AutoTokenizer.from_pretrained(model_path(get_spec("summary"), model_dir))
    sentences, notes = source_sentences(data_dir)
    counted = [(s, len(zh(s)["input_ids"])) for s in sentences]
    kept = [(s, n) for s, n in counted if MIN_SENTENCE_TOKENS <= n <= MAX_SENTENCE_TOKENS]
    english = english_lines()
    out: list[BenchArticle] = []
    for index in range(articles):
        chunk = kept[index * sentences_per_article : (index + 1) * sentences_per_article]
        if len(chunk) < sentences_per_article:
            notes.append(f"only {len(kept)} usable sentences: {len(out)} articles, not {articles}")
            break
        summary_input = _english_input(
            en, english, start=index * 37, tokens=lengths.summary_input_tokens
        )
        out.append(
            BenchArticle(
                sentences=[s for s, _ in chunk],
                summary_input=summary_input,
                source_tokens=sum(n for _, n in chunk),
            )
        )
    return out, notes


def _english_input(tokenizer: Any, lines: list[str], *, start: int, tokens: int) -> str:
    """English prose of at most ``tokens`` summary tokens (specials included)."""
    text = ""
    for offset in range(len(lines)):
        line = lines[(start + offset) % len(lines)]
        longer = f"{text} {line}".strip()
        if len(tokenizer(longer)["input_ids"]) > tokens:
            break
        text = longer
    return text


def cached_articles(
    model_dir: Path,
    *,
    articles: int,
    sentences_per_article: int,
    lengths: Lengths,
    data_dir: Path = DATA_DIR,
) -> tuple[list[BenchArticle], list[str]]:
    """``make_articles``, kept beside the models: extracting 51 pages takes a while."""
    import hashlib

    material = json.dumps(
        [str(data_dir.resolve()), articles, sentences_per_article, lengths.summary_input_tokens]
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:12]
    cache = model_dir / f"bench-articles-{digest}.json"
    if cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
        return [BenchArticle(**a) for a in data["articles"]], list(data["notes"])
    made, notes = make_articles(
        model_dir,
        articles=articles,
        sentences_per_article=sentences_per_article,
        lengths=lengths,
        data_dir=data_dir,
    )
    payload = {"articles": [asdict(a) for a in made], "notes": notes}
    cache.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return made, notes


def cached_sentences(cache_dir: Path, data_dir: Path = DATA_DIR) -> tuple[list[str], list[str]]:
    """``source_sentences``, kept in ``cache_dir``: extracting 51 pages takes a while.

    Keyed by the data folder and its files' names, sizes and times.
    """
    import hashlib

    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    material = json.dumps(
        [str(data_dir.resolve())]
        + [[str(p.relative_to(data_dir)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:12]
    cache = cache_dir / f"sentences-{digest}.json"
    if cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
        return list(data["sentences"]), list(data["notes"])
    sentences, notes = source_sentences(data_dir)
    if sentences and not any("not usable" in note for note in notes):
        cache_dir.mkdir(parents=True, exist_ok=True)
        payload = {"sentences": sentences, "notes": notes}
        cache.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return sentences, notes
