"""Review flags: confidence from the engines' scores, and the reasons a result needs a person."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.paths import SEED_ARTICLE
from workers.contract import (
    Article,
    Checks,
    NumberCheck,
    Provenance,
    Summary,
    SummaryResult,
    SummarySentence,
    TranslatedSentence,
)
from workers.english.review import confidence, flag_for_review, review_reasons
from workers.settings import Settings


def _result(**changes: object) -> SummaryResult:
    base = SummaryResult(
        id="k",
        article=Article(language="zh-Hans", text="正文。", sentences=["正文。"]),
        summary=Summary(method="extractive", sentences=[SummarySentence(en="Text.", sources=[0])]),
        translation=[TranslatedSentence(zh="正文。", en="Text.", confidence=0.9)],
        provenance=Provenance(profile="standard"),
    )
    return base.model_copy(update=changes)


def test_confidence_is_the_geometric_mean_token_probability() -> None:
    assert confidence(math.log(0.5)) == 0.5
    assert confidence(0.0) == 1.0
    assert confidence(float("nan")) is None and confidence(None) is None


def test_a_clean_result_needs_no_review() -> None:
    result = flag_for_review(_result())
    assert result.needs_review is False and result.review_reasons == []


def test_low_confidence_and_failed_checks_are_reasons() -> None:
    result = _result(
        translation=[
            TranslatedSentence(zh="甲。", en="A.", confidence=0.9),
            TranslatedSentence(zh="乙。", en="B.", confidence=0.2),
        ],
        checks=Checks(
            numbers=NumberCheck(unsupported=["250,000"], missing=["23.3万 (233,000)"]),
            names=NumberCheck(missing=["Qiu Jianfeng (裘建锋)"]),
        ),
    )
    reasons = review_reasons(result, threshold=0.4, notes=["a note from the pipeline"])
    assert reasons[0] == (
        "The translation of 1 of 2 sentences is uncertain (model confidence below 0.40): "
        "sentence 2 of the full translation. Read it against the Chinese before use."
    )
    assert "250,000" in reasons[1] and "23.3万" in reasons[2] and "Qiu Jianfeng" in reasons[3]
    assert reasons[-1] == "a note from the pipeline"
    # Sentences for an editor, not field names ("translation[1]: …").
    for reason in reasons[:-1]:
        assert reason[0].isupper() and reason.endswith("."), reason
        assert "translation[" not in reason and "checks." not in reason, reason
    # The same result under a lower threshold: only the checks remain.
    assert not any("confidence" in r for r in review_reasons(result, threshold=0.1))
    flagged = flag_for_review(result)
    assert flagged.needs_review is True


def test_old_results_still_validate() -> None:
    dumped = _result().model_dump(mode="json")
    for name in ("cluster", "needs_review", "review_reasons"):
        dumped.pop(name)
    dumped["translation"][0].pop("confidence")
    again = SummaryResult.model_validate(dumped)
    assert again.needs_review is False and again.translation is not None
    assert again.translation[0].confidence is None


def test_offline_result_is_not_flagged() -> None:
    from workers.contract import ArticleInput, SummaryOptions
    from workers.english.engines import offline_engines
    from workers.pipeline import summarize_article

    result = summarize_article(
        ArticleInput(text=SEED_ARTICLE.read_text(encoding="utf-8")),
        SummaryOptions(profile="offline"),
        offline_engines(warning=None),
        Settings(),
        key="k",
    )
    assert result.needs_review is False and result.review_reasons == []


@pytest.mark.engine
@pytest.mark.parametrize("beams", [1, 3])
def test_transformers_scores_match_generate(tiny_model_dir: Path, beams: int) -> None:
    from workers.english.engines import load_engines

    settings = Settings(
        model_dir=tiny_model_dir, torch_threads=1, num_beams=beams, max_new_tokens=8
    )
    translator = load_engines(settings, "auto").translator
    assert translator is not None
    texts = ["嘉兴开展主题教育。", "你好。", "记者裘建锋报道，王文香说今年收入增长三成。"]
    scored = translator.generate_scored(texts)  # type: ignore[attr-defined]
    assert [s.text for s in scored] == translator.generate(texts)
    for s in scored:
        assert -30 < s.mean_logprob < 0
    assert len({round(s.mean_logprob, 6) for s in scored}) > 1


@pytest.mark.engine
def test_pipeline_fills_confidence_glossary_and_review(tiny_model_dir: Path) -> None:
    from workers.contract import ArticleInput, SummaryOptions
    from workers.english.engines import load_engines
    from workers.english.glossary import server_glossary
    from workers.pipeline import prepare_article, summarize_prepared

    settings = Settings(model_dir=tiny_model_dir, torch_threads=1, num_beams=1, max_new_tokens=8)
    engines = load_engines(settings, "auto")
    prepared = prepare_article(ArticleInput(text=SEED_ARTICLE.read_text("utf-8")), settings)
    prepared.sentences = prepared.sentences[:12]
    options = SummaryOptions(strategy="extractive", glossary={"主题教育": "Theme Education"})
    result = summarize_prepared(
        prepared,
        options,
        engines,
        key="k",
        base_glossary=server_glossary(settings),
        review_confidence=0.99,
    )
    assert result.translation is not None
    assert all(t.confidence is not None and 0 < t.confidence <= 1 for t in result.translation)
    for sentence in result.summary.sentences:
        assert sentence.confidence == result.translation[sentence.sources[0]].confidence
    for t in result.translation:
        if "主题教育" in t.zh:
            assert "Theme Education" in t.en
        if "嘉兴" in t.zh:
            assert "Jiaxing" in t.en  # the default glossary
    terms = {k.zh: k.en for k in result.key_terms}
    assert terms.get("主题教育") == "Theme Education"
    # Random weights are unsure of everything: flagged, and the reason says so.
    assert result.needs_review is True
    assert result.review_reasons[0].startswith("The translation of ")
    assert "(model confidence below 0.99)" in result.review_reasons[0]
    assert any("in pieces" in r for r in result.review_reasons)
