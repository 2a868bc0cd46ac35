"""The ``direct-llm`` strategy: an instruct model writes the English brief from the Chinese.

The model is asked (``workers.english.brief_prompt``) for::

    HEADLINE: ...
    1. ...
    2. ...

and its reply is parsed strictly (``parse_brief``): anything else is no brief.
Each sentence is linked to its source sentences (``align_sources`` over the
article's translation, when there is a translator), and the number and name
checks run on it (``judge``). A reply that cannot be parsed, or whose checks
fail badly (a figure the article does not give, two or more names it cannot
spell), is never shown: the result falls back to the extractive brief
(translated where there is a translator), with the reason in
``review_reasons``. No result carries unparsed model text.

A reader's article may watch the reply being written: given a ``BriefText``
and an engine that can ``stream``, the reply is streamed and each piece told to
it (the job puts the text so far on its record for ``/v1/jobs/{id}/events``).
That text is the raw reply, not yet checked; the result is still only what the
parse and the checks make of the whole reply. A batch chunk's articles yield
their call instead, so their prompts go to the model together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from models.engines.extractive import TextRankRanker
from models.stepwise import GenerateCall, Steps
from workers.contract import Summary, SummarySentence
from workers.english.brief_prompt import PromptFit, fit_prompt
from workers.english.glossary import GlossaryTranslator
from workers.english.name_checks import check_names
from workers.english.number_checks import check_numbers
from workers.english.summarize import (
    SummaryRun,
    align_sources,
    extractive_summary,
    sentence_paragraphs,
)

STRATEGY: Final = "direct-llm"

_HEADLINE = re.compile(r"HEADLINE:[ \t]*(\S.*)")
_ITEM = re.compile(r"(\d{1,2})\.[ \t]+(\S.*)")
_ENDS = tuple('.!?"”’)。！？')
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_MAX_CHARS = 600
# Names the English may have that no source characters spell, before the brief is refused.
_MAX_UNSUPPORTED_NAMES = 1


class BriefText(Protocol):
    """Told the reply's text so far as the model writes it; ``final``: the whole reply."""

    def __call__(self, text: str, *, final: bool = False) -> None: ...


class ReplyStream(Protocol):
    """An engine's ``stream``: one reply in pieces that, joined and stripped, are
    what its ``generate`` gives for the same text."""

    def __call__(self, text: str, *, max_new_tokens: int | None = None) -> Iterator[str]: ...


def reply_stream(engine: object) -> ReplyStream | None:
    """``engine.stream`` where the engine has one."""
    method = getattr(engine, "stream", None)
    return method if callable(method) else None


def streamed_reply(stream: ReplyStream, prompt: str, brief_text: BriefText) -> str:
    """The model's reply to ``prompt``, streamed: the text so far told to
    ``brief_text`` after every piece, and the whole reply once more, ``final``."""
    pieces: list[str] = []
    for piece in stream(prompt):
        pieces.append(piece)
        brief_text("".join(pieces).strip())
    reply = "".join(pieces).strip()
    brief_text(reply, final=True)
    return reply


class BriefParseError(ValueError):
    """The model's reply is not the layout the prompt asked for; the message says how."""


@dataclass(frozen=True)
class ParsedBrief:
    """A reply in the asked layout. ``dropped_partial``: its last item was cut off
    (no end punctuation: the token limit) and left out."""

    headline: str
    sentences: list[str]
    dropped_partial: bool = False


def _english_problem(text: str) -> str | None:
    letters = [c for c in text if not c.isspace()]
    if letters and len(_CJK.findall(text)) / len(letters) > 0.2:
        return "is not English"
    if len(_LATIN_WORD.findall(text)) < 3:
        return "has fewer than three English words"
    if len(text) > _MAX_CHARS:
        return f"is over {_MAX_CHARS} characters"
    return None


def parse_brief(reply: str, count: int) -> ParsedBrief:
    """The headline and numbered sentences of ``reply``; BriefParseError otherwise.

    Strict: the first line is ``HEADLINE: text``; every other non-empty line is
    ``k. sentence`` numbered 1, 2, … in order, at most ``count`` of them; each is
    English ending in sentence punctuation, none repeated. Only a last sentence cut
    off by the token limit (no end punctuation) is dropped, when another remains.
    """
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        raise BriefParseError("the reply is empty")
    head = _HEADLINE.fullmatch(lines[0])
    if head is None:
        raise BriefParseError("the reply does not start with 'HEADLINE:'")
    headline = head.group(1).strip()
    problem = _english_problem(headline)
    if problem:
        raise BriefParseError(f"the headline {problem}")
    items: list[str] = []
    for line in lines[1:]:
        item = _ITEM.fullmatch(line)
        if item is None:
            raise BriefParseError(f"line {len(items) + 2} is not a numbered sentence")
        if int(item.group(1)) != len(items) + 1:
            raise BriefParseError(f"sentence {len(items) + 1} is numbered {item.group(1)}")
        items.append(item.group(2).strip())
    if len(items) > count:
        raise BriefParseError(f"it has {len(items)} sentences; {count} were asked for")
    dropped = False
    if items and not items[-1].endswith(_ENDS):
        if len(items) == 1:
            raise BriefParseError("its only sentence is cut off")
        items, dropped = items[:-1], True
    if not items:
        raise BriefParseError("it has no numbered sentences")
    for number, sentence in enumerate(items, start=1):
        problem = _english_problem(sentence)
        if problem:
            raise BriefParseError(f"sentence {number} {problem}")
        if not sentence.endswith(_ENDS):
            raise BriefParseError(f"sentence {number} does not end a sentence")
    if len({s.casefold() for s in items}) < len(items):
        raise BriefParseError("it repeats a sentence")
    return ParsedBrief(headline, items, dropped)


def judge(source_zh: str, english: str) -> list[str]:
    """Why the checks refuse ``english`` as a brief of ``source_zh`` (empty: they don't).

    Refused: any figure the article does not support (the prompt asks for every
    number as the source gives it), or more than one name the source cannot spell.
    Milder findings (a figure or a person left out) stay for the result's checks.
    """
    reasons: list[str] = []
    numbers = check_numbers(source_zh, english).unsupported
    if numbers:
        reasons.append(f"it gives figures the article does not ({', '.join(numbers[:5])})")
    names = check_names(source_zh, english).unsupported
    if len(names) > _MAX_UNSUPPORTED_NAMES:
        reasons.append(f"it names what the article does not ({', '.join(names[:5])})")
    return reasons


def fell_back_note(reason: str, *, translated: bool) -> str:
    """The review reason of a brief the model wrote that was not used."""
    instead = "key sentences, translated" if translated else "key sentences"
    return (
        f"The language model's brief was not used because {reason}: the summary is the "
        f"article's {instead} instead."
    )


def brief_terms(run: SummaryRun) -> Mapping[str, str]:
    """The glossary's English for the article's terms, where the run has a glossary."""
    if isinstance(run.translator, GlossaryTranslator):
        return run.translator.index.glossary
    return {}


def fitted_prompt(run: SummaryRun) -> PromptFit:
    """The article's prompt, fitted to the model's prompt limit."""
    llm = run.engines.llm
    assert llm is not None
    ranker = run.engines.ranker

    def rank(sentences: list[str], k: int) -> list[int]:
        if isinstance(ranker, TextRankRanker):
            return ranker.rank(sentences, k, title=run.title)
        return ranker.rank(sentences, k)

    paragraphs = sentence_paragraphs(run.text, run.sentences) if run.text else None
    return fit_prompt(
        run.sentences,
        run.options.sentences,
        count_tokens=llm.count_tokens,
        limit=llm.max_input_tokens,
        rank=rank,  # type: ignore[arg-type]
        paragraphs=paragraphs,
        terms=brief_terms(run),
    )


def llm_brief_steps(run: SummaryRun, brief_text: BriefText | None = None) -> Steps[Summary]:
    """The direct-LLM brief as steps (its one model call is yielded, so a batch chunk's
    prompts go to the model together); the extractive fallback when it is refused.

    ``brief_text`` (one reader's article): the reply is streamed to it instead, where
    the engine can stream; nothing is yielded then."""
    llm = run.engines.llm
    assert llm is not None
    fit = fitted_prompt(run)
    run.progress("summarize", 0.6)
    stream = reply_stream(llm) if brief_text is not None else None
    if stream is not None and brief_text is not None:
        replies = [streamed_reply(stream, fit.prompt, brief_text)]
    else:
        replies = yield GenerateCall(llm, [fit.prompt])
    if run.english is None and run.translator is not None:
        # opus-mt still translates every sentence: the full translation, and the
        # English the brief's sentences are linked through (and the fallback's). After
        # the brief, not before: the prompt is the Chinese, so a reader's first
        # streamed words do not wait for the translation (~3 s of a 1,500-character
        # article on 2 cores).
        run.progress("translate", 0.75)
        run.english, run.confidence = run.translate(run.sentences)
    try:
        parsed = parse_brief(replies[0], run.options.sentences)
    except BriefParseError as exc:
        return _fallback(run, f"its reply could not be read ({exc})")
    english = " ".join(parsed.sentences)
    refused = judge(run.text or "".join(run.sentences), f"{parsed.headline}\n{english}")
    if refused:
        return _fallback(run, "; ".join(refused))
    if parsed.dropped_partial:
        run.notes.append(
            "The language model's last summary sentence was cut off at its length limit "
            "and left out."
        )
    sentences = [
        SummarySentence(en=s, sources=align_sources(s, run.english) if run.english else [])
        for s in parsed.sentences
    ]
    return Summary(en=english, headline=parsed.headline, method=STRATEGY, sentences=sentences)


def _fallback(run: SummaryRun, reason: str) -> Summary:
    run.notes.append(fell_back_note(reason, translated=run.english is not None))
    _, summary = extractive_summary(run, run.options.sentences)
    return summary
