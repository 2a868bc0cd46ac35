"""The direct-LLM brief: strict parsing, the checks that refuse a brief, the fallback,
fitting a long article into the prompt, and the prompt file in the fingerprint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from models.engines.extractive import TextRankRanker
from workers.contract import ArticleInput, SummaryOptions
from workers.english.brief_prompt import PROMPT_FILE, fit_prompt, prompt_digest, render
from workers.english.engines import Engines, offline_engines
from workers.english.llm_brief import BriefParseError, judge, parse_brief
from workers.pipeline import summarize_article
from workers.settings import Settings

GOOD = """HEADLINE: Jiaxing holds a meeting on theme education
1. Jiaxing held a meeting on the theme education campaign.
2. Officials reviewed the work of the past year.
"""

SEED = (
    "嘉兴市召开主题教育总结大会。会议回顾了2019年的工作。\n"
    "全市共有120个单位参加。市委书记作了讲话。"
)


# ---------------------------------------------------------------- parse


def test_a_reply_in_the_layout_is_parsed() -> None:
    parsed = parse_brief(GOOD, 3)
    assert parsed.headline == "Jiaxing holds a meeting on theme education"
    assert parsed.sentences == [
        "Jiaxing held a meeting on the theme education campaign.",
        "Officials reviewed the work of the past year.",
    ]
    assert not parsed.dropped_partial


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("", "empty"),
        ("Here is a summary:\n1. Jiaxing held a meeting today.", "HEADLINE"),
        ("HEADLINE: Jiaxing holds a meeting\n2. Jiaxing held a big meeting.", "numbered 2"),
        ("HEADLINE: Jiaxing holds a meeting\nJiaxing held a big meeting.", "line 2"),
        ("HEADLINE: 嘉兴召开大会总结主题教育\n1. Jiaxing held a big meeting.", "not English"),
        ("HEADLINE: Jiaxing holds a meeting\n1. 嘉兴市召开了主题教育总结大会。", "not English"),
        ("HEADLINE: Jiaxing holds a meeting", "no numbered"),
        (
            "HEADLINE: Jiaxing holds a meeting\n1. The city held a meeting.\n"
            "2. The city held a meeting.",
            "repeats",
        ),
        (
            "HEADLINE: Jiaxing holds a meeting\n"
            + "\n".join(f"{i}. The city held meeting number {i}." for i in range(1, 5)),
            "3 were asked",
        ),
        ("HEADLINE: aitsADari description quer部 tuple4\n1. aitsADari description", "cut off"),
    ],
)
def test_other_replies_are_refused_with_the_reason(reply: str, why: str) -> None:
    with pytest.raises(BriefParseError, match=why):
        parse_brief(reply, 3)


def test_a_last_sentence_cut_by_the_token_limit_is_dropped() -> None:
    parsed = parse_brief(GOOD + "3. The secretary of the city party committee said that", 3)
    assert parsed.dropped_partial
    assert len(parsed.sentences) == 2


def test_a_cut_sentence_before_the_last_is_refused() -> None:
    reply = "HEADLINE: Jiaxing holds a meeting\n1. The city held a meeting\n2. It ended at noon."
    with pytest.raises(BriefParseError, match="sentence 1 does not end"):
        parse_brief(reply, 3)


# ---------------------------------------------------------------- checks


def test_an_invented_figure_refuses_the_brief() -> None:
    assert judge(SEED, "Jiaxing held a meeting in 2019 with 120 units.") == []
    reasons = judge(SEED, "Jiaxing held a meeting in 2019 with 450 units.")
    assert len(reasons) == 1 and "450" in reasons[0]


# ---------------------------------------------------------------- fitting


def _chars(text: str) -> int:
    return len(text)


def _first(sentences: Sequence[str], k: int) -> list[int]:
    return list(range(min(k, len(sentences))))


def test_a_short_article_goes_in_whole() -> None:
    sentences = ["第一句。", "第二句。"]
    fit = fit_prompt(sentences, 3, count_tokens=_chars, limit=10_000, rank=_first)
    assert fit.whole and fit.lead == 2 and fit.tail == []
    assert "第一句。第二句。" not in fit.prompt  # no paragraphs given: one sentence a line
    assert "第一句。\n第二句。" in fit.prompt
    assert "goes on" not in fit.prompt


def test_a_long_article_keeps_its_lead_paragraphs_and_the_key_sentences_of_the_rest() -> None:
    sentences = [f"第{i}段的句子写得相当长，说了一件事情{i}。" for i in range(60)]
    paragraphs = [i // 3 for i in range(60)]  # three sentences a paragraph
    overhead = len(render("", 3))
    limit = overhead + 600

    def rank_last(rest: Sequence[str], k: int) -> list[int]:
        return list(range(len(rest) - k, len(rest)))  # the rest's last k sentences

    fit = fit_prompt(
        sentences, 3, count_tokens=_chars, limit=limit, rank=rank_last, paragraphs=paragraphs
    )
    assert len(fit.prompt) <= limit
    assert 0 < fit.lead < 60 and fit.lead % 3 == 0  # cut at a paragraph's end
    assert fit.tail and min(fit.tail) >= fit.lead and fit.tail == sorted(fit.tail)
    assert fit.tail[-1] == 59
    # Said plainly, never a silent cut: how much more there is, and what follows.
    assert f"goes on for {60 - fit.lead} more sentences" in fit.prompt
    assert f"its {len(fit.tail)} key sentences follow" in fit.prompt
    for i in fit.tail:
        assert sentences[i] in fit.prompt
    assert sentences[fit.lead] not in fit.prompt or fit.lead in fit.tail


def test_one_lead_paragraph_too_long_is_given_sentence_by_sentence() -> None:
    sentences = [f"这一段很长的第{i}句话。" for i in range(80)]
    limit = len(render("", 2)) + 400
    fit = fit_prompt(
        sentences, 2, count_tokens=_chars, limit=limit, rank=_first, paragraphs=[0] * 80
    )
    assert 0 < fit.lead < 80 and len(fit.prompt) <= limit


def test_the_glossary_english_is_asked_for() -> None:
    prompt = render("嘉兴市召开大会。", 2, {"嘉兴": "Jiaxing"})
    assert "嘉兴 = Jiaxing" in prompt and "exactly 2 numbered sentences" in prompt


# ---------------------------------------------------------------- fingerprint


class ScriptedLLM:
    """An instruct model that answers every prompt with ``reply`` (and keeps the prompts)."""

    engine_name = "scripted"
    model_id = "test/scripted-instruct"
    revision = "1"
    max_input_tokens = 4096

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text)

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.prompts.extend(texts)
        return [self.reply for _ in texts]


def _llm_engines(reply: str) -> Engines:
    engines = offline_engines(warning=None)
    engines.profile = "llm"
    engines.llm = ScriptedLLM(reply)
    return engines


def test_the_prompt_file_is_in_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engines = _llm_engines(GOOD)
    before = engines.fingerprint()
    assert engines.output_signature()["prompt"] == prompt_digest()
    edited = tmp_path / "brief_v2.txt"
    edited.write_text(PROMPT_FILE.read_text(encoding="utf-8") + "Be brief.\n", encoding="utf-8")
    monkeypatch.setattr("workers.english.brief_prompt.PROMPT_FILE", edited)
    assert engines.fingerprint() != before
    assert "prompt" not in offline_engines().output_signature()


# ---------------------------------------------------------------- the pipeline


def _summarize(engines: Engines, text: str = SEED, sentences: int = 3):  # type: ignore[no-untyped-def]
    options = SummaryOptions(profile="llm", sentences=sentences)
    return summarize_article(
        ArticleInput(text=text), options, engines, Settings(default_glossary=False), key="k"
    )


def test_a_good_brief_is_the_summary() -> None:
    reply = (
        "HEADLINE: Jiaxing sums up its theme education\n"
        "1. Jiaxing held a meeting to sum up the theme education campaign.\n"
        "2. The meeting reviewed the work of 2019, with 120 units taking part.\n"
    )
    engines = _llm_engines(reply)
    result = _summarize(engines)
    assert result.summary.method == "direct-llm"
    assert result.summary.headline == "Jiaxing sums up its theme education"
    # No translator here: the checked headline is the article's English title.
    assert result.article.title_en == "Jiaxing sums up its theme education"
    assert len(result.summary.sentences) == 2
    assert "2019" in (result.summary.en or "")
    assert not any("language model" in r for r in result.review_reasons)
    prompt = engines.llm.prompts[0]  # type: ignore[union-attr]
    assert "嘉兴市召开主题教育总结大会。" in prompt and "exactly 3 numbered" in prompt
    assert any(m.role == "instruct" for m in result.provenance.models)


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("aitsADari description quer部 tuple4 platformsoftware", "could not be read"),
        (
            "HEADLINE: Jiaxing sums up its theme education\n"
            "1. The meeting reviewed the work of 2019, with 4,500 units taking part.\n",
            "figures the article does not",
        ),
    ],
)
def test_a_refused_brief_falls_back_to_the_key_sentences(reply: str, why: str) -> None:
    result = _summarize(_llm_engines(reply))
    assert result.summary.method == "extractive"
    assert result.summary.headline is None
    assert result.article.title_en is None  # a refused brief's headline is never used
    assert result.needs_review
    note = next(r for r in result.review_reasons if "language model's brief was not used" in r)
    assert why in note and "key sentences instead" in note
    assert "aitsADari" not in result.model_dump_json()  # no unparsed model text


def test_the_llm_profile_without_an_instruct_model_is_refused() -> None:
    from workers.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="instruct model"):
        _summarize(offline_engines(warning=None))


def test_ranker_is_the_extractive_one() -> None:
    assert isinstance(_llm_engines(GOOD).ranker, TextRankRanker)


class LoggingTranslator:
    """A stand-in translator that answers in English and writes each call to ``log``."""

    model_id = "test/logging-translator"
    revision = None
    engine_name = "logging"
    max_input_tokens = 512

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def count_tokens(self, text: str) -> int:
        return len(text) + 1

    def generate(self, texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        self.log.append("translate")
        return ["Jiaxing held a meeting." for _ in texts]


def test_the_brief_is_written_before_the_sentences_are_translated() -> None:
    """The prompt is the Chinese: a reader's first streamed words must not wait for
    opus-mt, whose English is needed only after the reply (linking, fallback)."""
    log: list[str] = []
    engines = _llm_engines(GOOD)
    llm = engines.llm
    assert isinstance(llm, ScriptedLLM)
    real_generate = llm.generate

    def logged(texts: Sequence[str], *, max_new_tokens: int | None = None) -> list[str]:
        log.append("brief")
        return real_generate(texts, max_new_tokens=max_new_tokens)

    llm.generate = logged  # type: ignore[method-assign]
    engines.translator = LoggingTranslator(log)
    result = _summarize(engines)
    assert log[0] == "brief" and "translate" in log
    assert result.translation is not None  # the full translation is still made
    assert any(s.sources for s in result.summary.sentences)  # linked through it
