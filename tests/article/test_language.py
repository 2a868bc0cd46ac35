"""Language detection by script, and traditional → simplified."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.paths import REPO, seed_body
from workers.article.language import detect_language, han_ratio, to_simplified


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
