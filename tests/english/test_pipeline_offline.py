"""The whole pipeline in-process on the offline profile (no weights)."""

from __future__ import annotations

import base64

import pytest

from tests.paths import HTML_DIR, SEED_ARTICLE
from workers.contract import ArticleInput, SummaryOptions, SummaryResult
from workers.english.engines import load_engines, offline_engines
from workers.errors import (
    EmptyInput,
    InputTooLarge,
    InvalidRequest,
    ModelUnavailable,
    NotChinese,
)
from workers.pipeline import prepare_article, summarize_article
from workers.settings import Settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(model_dir=tmp_path_factory.mktemp("no-models"))


@pytest.fixture(scope="module")
def seed_result(settings: Settings) -> SummaryResult:
    engines = load_engines(settings, "auto")
    article = ArticleInput(text=SEED_ARTICLE.read_text(encoding="utf-8"))
    return summarize_article(article, SummaryOptions(), engines, settings, key="seed")


def test_auto_profile_without_weights_runs_offline(settings: Settings) -> None:
    engines = load_engines(settings, "auto")
    assert engines.profile == "offline"
    assert engines.translator is None and engines.summarizer is None
    assert any("newsum models pull" in w for w in engines.warnings)


def test_standard_profile_without_weights_names_the_fix(settings: Settings) -> None:
    with pytest.raises(ModelUnavailable, match="newsum models pull"):
        load_engines(settings, "standard")


def test_seed_article_metadata(seed_result: SummaryResult) -> None:
    article = seed_result.article
    assert article.title is not None and "思想再洗礼" in article.title
    assert article.published == "2020-01-09"
    assert article.outlet == "嘉兴日报"
    assert [(a.name, a.romanized) for a in article.authors] == [("裘建锋", "Qiu Jianfeng")]
    assert [e.name for e in article.editors] == ["倪力"]
    assert article.language == "zh-Hans"
    # The scraped file writes ASCII punctuation (百年!); either form is the same ending.
    assert article.text.rstrip().rstrip("！!").endswith("以优异成绩迎接建党百年")
    for junk in ("您当前的位置", "ICP", "标签", "版权"):
        assert junk not in article.text
    assert article.removed, "boilerplate must be kept aside, not dropped"


def test_seed_article_brief_is_real_sentences_in_order(seed_result: SummaryResult) -> None:
    summary = seed_result.summary
    assert summary.method == "extractive"
    assert 3 <= len(summary.sentences) <= 5
    sources = [s.sources[0] for s in summary.sentences]
    assert sources == sorted(sources)
    for sentence in summary.sentences:
        (index,) = sentence.sources
        assert sentence.zh == seed_result.article.sentences[index]
        assert len(sentence.zh or "") >= 15, "headline fragments are no brief"
    assert summary.zh == "".join(s.zh or "" for s in summary.sentences)


def test_offline_result_says_why_fields_are_empty(seed_result: SummaryResult) -> None:
    assert seed_result.summary.en is None
    assert seed_result.translation is None
    assert seed_result.article.title_en is None
    warnings = " ".join(seed_result.checks.warnings)
    assert "newsum models pull" in warnings
    assert "translation" in warnings
    assert seed_result.provenance.profile == "offline"
    assert [m.engine for m in seed_result.provenance.models] == ["extractive"]


def test_seed_key_terms_are_glossed(seed_result: SummaryResult) -> None:
    terms = {t.zh: t for t in seed_result.key_terms}
    assert "嘉兴" in terms
    assert terms["嘉兴"].en == "Jiaxing"
    assert terms["嘉兴"].pinyin == "Jiāxīng"


def test_result_round_trips_through_json(seed_result: SummaryResult) -> None:
    again = SummaryResult.model_validate_json(seed_result.model_dump_json())
    assert again == seed_result


def test_traditional_chinese_is_converted_and_kept(settings: Settings) -> None:
    text = "香港特區政府今日宣佈，將於明年推出新的房屋政策。當局表示，這項計劃會增加公營房屋供應。"
    prepared = prepare_article(ArticleInput(text=text), settings)
    assert prepared.language == "zh-Hant"
    assert "特区政府" in prepared.text and "宣布" in prepared.text
    assert prepared.original_text == text
    assert any("traditional" in w for w in prepared.warnings)


def test_english_is_refused_as_not_chinese(settings: Settings) -> None:
    # The README promises 422 not_chinese for text that is not Chinese; English
    # was once passed through and then flagged its own numbers as unsupported.
    text = (
        "The city council approved a new budget on Tuesday. Spending on schools will rise "
        "by ten percent. Officials said the plan would be reviewed next year."
    )
    with pytest.raises(NotChinese, match="reads as English"):
        summarize_article(
            ArticleInput(text=text),
            SummaryOptions(sentences=2),
            offline_engines(),
            settings,
            key="en",
        )


@pytest.mark.parametrize(
    "text",
    [
        "서울시는 오늘 새로운 주택 정책을 발표했다. 시 관계자는 공급을 늘리겠다고 밝혔다.",
        "東京都は今日、新しい住宅政策を発表しました。担当者は供給を増やすと述べました。",
        "Ceci est un article en français. Il ne contient aucun caractère chinois du tout.",
    ],
)
def test_non_chinese_text_is_refused_clearly(settings: Settings, text: str) -> None:
    with pytest.raises(NotChinese, match="not Chinese"):
        prepare_article(ArticleInput(text=text), settings)


def test_empty_and_whitespace_input(settings: Settings) -> None:
    for text in ("", "   \n\t  "):
        with pytest.raises(EmptyInput):
            prepare_article(ArticleInput(text=text), settings)


def test_too_long_input_names_the_limit(tmp_path_factory: pytest.TempPathFactory) -> None:
    small = Settings(model_dir=tmp_path_factory.mktemp("m"), max_chars=1_000)
    with pytest.raises(InputTooLarge, match="1,000 characters") as info:
        prepare_article(ArticleInput(text="新闻" * 600), small)
    assert info.value.limit == 1_000


def test_gbk_page_bytes_are_decoded(settings: Settings) -> None:
    page = (
        "<html><head><meta charset='gbk'><title>嘉兴新闻</title></head><body><article>"
        "<h1>嘉兴推进主题教育</h1><p>2019年9月，第二批主题教育在嘉兴全面开启，"
        "全市89家单位参加。</p><p>各级党组织认真学习，取得了明显成效，群众满意度不断提高。"
        "</p></article></body></html>"
    )
    article = ArticleInput(html_b64=base64.b64encode(page.encode("gbk")).decode())
    prepared = prepare_article(article, settings)
    assert "全市89家单位参加" in prepared.text
    assert prepared.language == "zh-Hans"


def test_real_gold_page_runs_through(settings: Settings) -> None:
    page = (HTML_DIR / "newspaper4k__chinese_article_001.html").read_bytes()
    article = ArticleInput(html_b64=base64.b64encode(page).decode())
    result = summarize_article(
        article, SummaryOptions(sentences=3), offline_engines(), settings, key="k"
    )
    assert len(result.summary.sentences) == 3
    assert "中美" in (result.summary.zh or "")


def test_model_strategy_on_the_offline_profile_is_refused(settings: Settings) -> None:
    options = SummaryOptions(profile="offline", strategy="translate-then-summarize")
    with pytest.raises(InvalidRequest, match="offline profile"):
        summarize_article(
            ArticleInput(text=SEED_ARTICLE.read_text(encoding="utf-8")),
            options,
            offline_engines(),
            settings,
            key="k",
        )


def test_model_strategy_on_auto_without_models_falls_back_with_a_warning(
    settings: Settings,
) -> None:
    options = SummaryOptions(strategy="summarize-then-translate")
    result = summarize_article(
        ArticleInput(text=SEED_ARTICLE.read_text(encoding="utf-8")),
        options,
        offline_engines(),
        settings,
        key="k",
    )
    assert result.summary.method == "extractive"
    assert any("key sentences instead" in w for w in result.checks.warnings)
