"""Cross-article batching: a chunk of batch articles' sentences translated together.

Per article, the pipeline hands the translator about 60 sentences: the engine
sorts them by length and fills its batches (``max_batch_tokens``) from one
article only, so the last batch of each article runs half empty and lengths
mix more than they would across many articles. Before a worker summarizes a
chunk of batch articles (``NEWSUM_BATCH_CHUNK_ARTICLES``) it translates all
their sentences in one call through the translator's memory
(``workers.store.translation_memory``); each article's own run then finds its
sentences remembered. Results are those of the per-article runs: the same
sentences, pieces and engine settings, only batched together.

Only sentences the pipeline translates one by one are sent: none for English
articles, for ``translate=false`` or for strategies that translate a summary
(their titles still are).
Sentences with glossary terms are sent too: the glossary wrapper translates
every sentence as it is first, and only redoes, with placeholders, one whose
English lacks a term.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.engines.base import TextGenerator
from workers.article.prepared import PreparedArticle
from workers.contract import SummaryOptions
from workers.english.engines import Engines
from workers.english.summarize import choose_strategy
from workers.english.translate import translate_scored

_SENTENCE_BY_SENTENCE = ("translate-then-summarize", "extractive")


def sentences_to_pretranslate(
    articles: Sequence[tuple[PreparedArticle, SummaryOptions]], engines: Engines
) -> list[str]:
    """The distinct sentences (and titles) the articles' runs will translate one by one,
    in order."""
    wanted: dict[str, None] = {}
    for prepared, options in articles:
        if prepared.language == "en" or not options.translate:
            continue
        if prepared.title:  # every strategy that translates translates the title
            wanted.setdefault(prepared.title, None)
        strategy, _ = choose_strategy(options, engines)
        if strategy not in _SENTENCE_BY_SENTENCE:
            continue
        for sentence in prepared.sentences:
            wanted.setdefault(sentence, None)
    return list(wanted)


def pretranslate(
    articles: Sequence[tuple[PreparedArticle, SummaryOptions]], engines: Engines
) -> int:
    """Translate the articles' sentences in one call so the translator's memory holds
    them for each article's own run; returns how many sentences were sent. Does
    nothing without a translator, or when it keeps no memory (``remembers``)."""
    translator = engines.translator
    if translator is None or not remembers(translator):
        return 0
    sentences = sentences_to_pretranslate(articles, engines)
    if sentences:
        translate_scored(sentences, translator)
    return len(sentences)


def remembers(translator: TextGenerator) -> bool:
    """True for a translator that keeps what it translated (a translation memory)."""
    return bool(getattr(translator, "remembers", False))
