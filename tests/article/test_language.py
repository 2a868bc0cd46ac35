"""Language detection by script, and traditional → simplified."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.paths import HTML_DIR, REPO, seed_body
from workers.article.language import (
    detect_language,
    han_ratio,
    require_chinese,
    require_chinese_page,
    script_counts,
    to_simplified,
    visible_text,
)
from workers.errors import NotChinese


def test_han_ratio_counts_letters_only() -> None:
    assert han_ratio("PM2.5浓度") == pytest.approx(0.5)  # P, M, 浓, 度
    assert han_ratio("嘉兴，2019。") == 1.0
    assert han_ratio("The quick brown fox") == 0.0
    assert han_ratio("") == 0.0
    assert han_ratio("123 !?") == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "zh-Hans"),
        ("经济", "zh-Hans"),
        ("嘉兴", "zh-Hans"),
        ("學習漢語", "zh-Hant"),
        ("經濟發展", "zh-Hant"),
        ("PM2.5浓度下降了", "zh-Hans"),
        ("中国人", "zh-Hans"),  # same in both scripts: called simplified
        ("こんにちは、世界", "other"),
        ("東京は日本の首都です", "other"),
        ("日本政府は新しい経済対策を発表した", "other"),
        ("日本の首相", "other"),
        ("一家名为“山田の店”的餐厅在上海开业了", "zh-Hans"),
        ("안녕하세요", "other"),
        ("서울은 한국의 수도입니다", "other"),
        ("The quick brown fox jumps over the lazy dog.", "en"),
        ("President Xi Jinping (习近平) said on Monday that the economy was stable.", "en"),
        ("Hello", "en"),
        (
            "Le gouvernement a annoncé que les écoles resteront fermées jusqu'à nouvel ordre",
            "other",
        ),
        ("12345 !!!", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_min_han_ratio_is_the_callers_choice() -> None:
    text = "GDP增长很快 in the third quarter"  # 4 Han among 24 letters
    assert detect_language(text) == "en"
    assert detect_language(text, min_han_ratio=0.15) == "zh-Hans"


def test_seed_article_is_simplified_and_its_traditional_form_is_traditional() -> None:
    import opencc

    body = seed_body()
    assert detect_language(body) == "zh-Hans"
    traditional = opencc.OpenCC("s2t").convert(body)
    assert traditional != body
    assert detect_language(traditional) == "zh-Hant"


def test_to_simplified() -> None:
    assert to_simplified("學習漢語與經濟發展") == "学习汉语与经济发展"
    assert to_simplified("臺灣的電腦軟體") in ("台湾的电脑软体", "台湾的电脑软件")
    assert to_simplified("学习汉语") == "学习汉语"
    assert to_simplified("") == ""


def test_round_trip_of_seed_article() -> None:
    import opencc

    body = seed_body()
    assert to_simplified(opencc.OpenCC("s2t").convert(body)).count("嘉兴") == body.count("嘉兴")


def test_nothing_loads_at_import() -> None:
    code = "import sys, workers.article.language; print('opencc' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- the check (issue 13 part 4)

FIXTURES = REPO / "tests" / "fixtures" / "language"
ENGLISH_PARAGRAPH = (
    "Shanghai's port handled a record 49 million containers last year, the city said on "
    "Friday, as exporters rushed to ship goods before new tariffs took effect. Officials "
    "expect growth to slow in the first half of this year."
)


def test_an_english_news_paragraph_is_refused_with_what_was_found() -> None:
    with pytest.raises(NotChinese) as caught:
        require_chinese(ENGLISH_PARAGRAPH)
    message = caught.value.message
    assert caught.value.code == "not_chinese" and caught.value.http_status == 422
    assert message.startswith("the article is not Chinese (fewer than 30% of its letters")
    assert "0% of its letters are Chinese characters and 100% are Latin script" in message
    assert "reads as English" in message


def test_other_latin_script_languages_are_named_as_such() -> None:
    french = "Le gouvernement a annoncé que les écoles resteront fermées jusqu'à nouvel ordre."
    with pytest.raises(NotChinese, match="reads as a Latin-script language"):
        require_chinese(french)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("東京都は今日、新しい住宅政策を発表しました。", "it is Japanese"),
        ("서울시는 오늘 새로운 주택 정책을 발표했다.", "it is Korean"),
        ("12345 !!!", "it has no letters at all"),
    ],
)
def test_japanese_korean_and_letterless_text_say_why(text: str, found: str) -> None:
    with pytest.raises(NotChinese, match=found):
        require_chinese(text)


def test_a_chinese_article_with_english_names_and_acronyms_passes() -> None:
    text = (FIXTURES / "chinese-with-english-names.txt").read_text("utf-8")
    assert require_chinese(text) == "zh-Hans"
    counts = script_counts(text)
    assert counts.latin > 20  # Apple, CEO, Tim Cook, iPhone, AI, LLM, PM …


def test_web_and_mail_addresses_are_not_counted_as_letters() -> None:
    text = (
        "详见 www.example.gov.cn/news/2024/index.html 或 https://example.com/a?b=c "
        "邮箱 a.b@example.cn"
    )
    assert script_counts(text).latin == 0
    # Fifty portal links beside one short Chinese line are still a Chinese page.
    links = " ".join(f"www.site{i}.gov.cn" for i in range(50))
    assert detect_language(f"{links} 市政府召开常务会议") == "zh-Hans"


def test_seed_article_and_traditional_chinese_pass() -> None:
    import opencc

    body = seed_body()
    assert require_chinese(body) == "zh-Hans"
    assert require_chinese(opencc.OpenCC("s2t").convert(body)) == "zh-Hant"


def test_an_english_page_in_html_is_refused_on_its_visible_text() -> None:
    html = (FIXTURES / "english-news-page.html").read_text("utf-8")
    text = visible_text(html)
    assert "Port city opens new ferry terminal" in text
    assert "dataLayer" not in text and "font-family" not in text  # scripts and styles
    with pytest.raises(NotChinese) as caught:
        require_chinese_page(html)
    assert caught.value.message.startswith("the page is not Chinese")
    assert "reads as English" in caught.value.message


def test_a_bilingual_page_is_mostly_latin_letters_and_is_refused() -> None:
    # Each English paragraph followed by its Chinese translation: the same news
    # takes about three Latin letters per Chinese character, so the page is
    # three quarters Latin script.
    html = (FIXTURES / "bilingual-page.html").read_text("utf-8")
    counts = script_counts(visible_text(html))
    assert counts.han > 100 and 0.15 < counts.han / counts.letters < 0.3
    with pytest.raises(NotChinese, match="Latin script"):
        require_chinese_page(html)


def test_a_chinese_report_with_an_english_abstract_passes() -> None:
    body = seed_body()[:1200]
    abstract = "Abstract: " + ENGLISH_PARAGRAPH
    assert require_chinese(f"{abstract}\n\n{body}") == "zh-Hans"


def test_every_shared_page_passes_the_page_check() -> None:
    # In-sample: the 51 Chinese pages of ../shared/data/html, read as the pipeline
    # reads them. The lowest share of Chinese letters is a WeChat post full of
    # Python code (0.41); a government portal's link list is addresses, not prose.
    from workers.article.intake import decode_bytes

    pages = sorted(p for p in HTML_DIR.glob("*.html") if not p.name.endswith("expected.html"))
    assert len(pages) >= 40
    lowest = 1.0
    for page in pages:
        text = visible_text(decode_bytes(page.read_bytes()))
        require_chinese(text, what="page")
        counts = script_counts(text)
        lowest = min(lowest, counts.han / counts.letters)
    assert lowest > 0.35


def test_a_page_without_visible_letters_is_left_to_extraction() -> None:
    require_chinese_page("<html><body><div><img src='a.png'></div></body></html>")
    require_chinese_page("")
