"""People in Hong Kong and Macau stories in Cantonese, Hong Kong government style
(issue 14 part 2), tried on the Hong Kong pages of ../shared/data (BBC 中文网 on 梁振英,
sina on 陈同佳) against pages of four other sites, where names stay in pinyin."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import pytest

from tests.paths import HTML_DIR, REPO
from workers.article.extract import extract_main_text
from workers.english.cantonese import hk_syllable, romanize_hk_name
from workers.english.name_checks import check_names
from workers.english.region import (
    hong_kong_address,
    hong_kong_dateline,
    hong_kong_share,
    is_hong_kong_story,
)
from workers.english.terms import key_terms

BBC = "newspaper4k__chinese_article.html"
CHINA_DAILY = "newspaper4k__chinese_article_001.html"
XINHUA = "newspaper4k__chinese_article_002.html"
GMW = "readability__gmw__source.html"
YOUTH = "readability__youth__source.html"
SINA_HK = "gne__sina__5.html"
HUANQIU = "gne__huanqiu__1.html"  # Western politicians and Hong Kong's security law


@cache
def text(name: str) -> str:
    for line in (HTML_DIR / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["file"] == name and row.get("gold_main_text"):
            return str(row["gold_main_text"])
    html = (HTML_DIR / name).read_text(encoding="utf-8", errors="replace")
    return extract_main_text(html).text


def people(name: str) -> dict[str, str | None]:
    return {t.zh: t.en for t in key_terms(text(name), k=15) if t.kind == "person"}


@pytest.mark.parametrize(
    ("jyutping", "hk"),
    [
        ("loeng4", "leung"),
        ("zeon3", "chun"),
        ("jan4", "yan"),
        ("jing1", "ying"),
        ("gaai1", "kai"),
        ("pun1", "poon"),
        ("hiu2", "hiu"),
        ("zoeng1", "cheung"),
        ("ceoi4", "chui"),
        ("jyun4", "yuen"),
        ("jyut6", "yuet"),
        ("ji4", "yee"),
        ("si1", "sze"),
        ("gwok3", "kwok"),
        ("hou6", "ho"),
        ("ng4", "ng"),
        ("waa4", "wah"),
    ],
)
def test_jyutping_in_hong_kong_government_spelling(jyutping: str, hk: str) -> None:
    assert hk_syllable(jyutping) == hk


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("梁振英", "Leung Chun-ying"),
        ("何俊仁", "Ho Chun-yan"),
        ("潘晓颖", "Poon Hiu-wing"),
        ("黄之锋", "Wong Chi-fung"),
        ("曾荫权", "Tsang Yam-kuen"),
        ("李家超", "Lee Ka-chiu"),
        ("林郑月娥", "Lam Cheng Yuet-ngo"),  # her husband's surname, then her own
        ("欧阳成潮", "Au-Yeung Shing-chiu"),
        # The press writes Chan Tong-kai; the government romanisation of 同 is Tung.
        ("陈同佳", "Chan Tung-kai"),
    ],
)
def test_hong_kong_names(name: str, english: str) -> None:
    assert romanize_hk_name(name) == english


def test_the_bbc_page_on_leung_chun_ying() -> None:
    assert is_hong_kong_story(text(BBC))
    found = people(BBC)
    assert found["梁振英"] == "Leung Chun-ying"
    assert found["何俊仁"] == "Ho Chun-yan"
    assert "Liang Zhenying" not in found.values()


def test_the_sina_page_on_chan_tong_kai() -> None:
    assert is_hong_kong_story(text(SINA_HK))
    found = people(SINA_HK)
    assert found["陈同佳"] == "Chan Tung-kai"
    assert found["潘晓颖"] == "Poon Hiu-wing"


@pytest.mark.parametrize(
    ("name", "person", "pinyin"),
    [
        (CHINA_DAILY, "严玉洁", "Yan Yujie"),
        (YOUTH, "卢宇", "Lu Yu"),
        (YOUTH, "马素湘", "Ma Suxiang"),
    ],
)
def test_names_elsewhere_stay_in_pinyin(name: str, person: str, pinyin: str) -> None:
    assert not is_hong_kong_story(text(name))
    assert people(name)[person] == pinyin


@pytest.mark.parametrize("name", [XINHUA, GMW, HUANQIU])
def test_stories_that_only_mention_hong_kong_are_no_hong_kong_stories(name: str) -> None:
    assert not is_hong_kong_story(text(name))


def test_address_dateline_and_share() -> None:
    assert hong_kong_address("https://news.mingpao.com.hk/article/1")
    assert hong_kong_address("http://www.macaodaily.mo/x.html")
    assert not hong_kong_address("https://www.bbc.co.uk/zhongwen/simp/hk")
    assert not hong_kong_address(None)
    assert hong_kong_dateline("新华社香港3月5日电 特区政府今日宣布")
    assert hong_kong_dateline("本报澳门讯 澳门特区政府")
    assert not hong_kong_dateline("新华社北京3月5日电 香港特区政府今日宣布")
    assert hong_kong_share(5, 6) and not hong_kong_share(8, 79) and not hong_kong_share(1, 1)
    # A Hong Kong dateline is enough, with a single mention.
    assert is_hong_kong_story("新华社香港3月5日电 陈茂波说，经济向好。")
    assert key_terms("新华社香港3月5日电 陈茂波说，经济向好。陈茂波表示。", k=3)[0].en == (
        "Chan Mau-po"
    )


def test_name_checks_accept_either_spelling() -> None:
    source = "梁振英在星期二（12月10日）的答问大会开始之际在其演说中道歉"
    for english in ("Leung Chun-ying apologized on Tuesday", "Liang Zhenying apologized"):
        check = check_names(source, english)
        assert (check.missing, check.unsupported) == ([], [])
    assert check_names(source, "He apologized").missing == ["Leung Chun-ying (梁振英)"]


def test_nothing_loads_at_import() -> None:
    code = (
        "import sys, workers.english.cantonese, workers.english.region, "
        "workers.english.place_names, workers.english.terms\n"
        "print(sorted({'ToJyutping', 'babel', 'jieba'} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"
