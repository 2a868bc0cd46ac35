"""Names as an English newsroom writes them: surname table, place table, tone marks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.paths import REPO
from workers.english.romanize import NameKind, pinyin_with_tones, romanize_name, romanize_place


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("裘建锋", "Qiu Jianfeng"),
        ("欧阳修", "Ouyang Xiu"),
        ("曾国藩", "Zeng Guofan"),  # pypinyin alone: Ceng
        ("单雄信", "Shan Xiongxin"),  # pypinyin alone: Dan
        ("解缙", "Xie Jin"),
        ("区志航", "Ou Zhihang"),
        ("仇英", "Qiu Ying"),
        ("朴槿惠", "Piao Jinhui"),
        ("查良镛", "Zha Liangyong"),
        ("盖叫天", "Ge Jiaotian"),
        ("尉迟恭", "Yuchi Gong"),
        ("司马光", "Sima Guang"),
        ("习近平", "Xi Jinping"),
        ("张兵", "Zhang Bing"),
        ("张西安", "Zhang Xi'an"),
        ("吕布", "Lü Bu"),
        ("  王文香 ", "Wang Wenxiang"),
        ("John Smith", "John Smith"),
    ],
)
def test_romanize_name(name: str, expected: str) -> None:
    assert romanize_name(name) == expected


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("嘉兴", "Jiaxing"),
        ("嘉兴市", "Jiaxing"),
        ("长三角", "Yangtze River Delta"),  # pypinyin alone: zhang san jiao
        ("浙江省", "Zhejiang Province"),
        ("秀洲区", "Xiuzhou District"),
        # 地区 is a region, not a 区 district (gne__163__8: 湖北地区; gne__guancha: 台湾地区).
        ("湖北地区", "Hubei region"),
        ("台湾地区", "Taiwan region"),
        ("王江泾镇", "Wangjiangjing Town"),
        ("东风村", "Dongfeng Village"),
        ("平湖市", "Pinghu"),
        ("沙市", "Shashi"),  # one-character stem keeps its suffix
        ("香港", "Hong Kong"),
        ("澳门", "Macao"),
        ("台湾", "Taiwan"),
        ("台北", "Taipei"),
        ("陕西", "Shaanxi"),
        ("山西", "Shanxi"),
        ("西安", "Xi'an"),
        ("重庆市", "Chongqing"),
        ("厦门", "Xiamen"),
        ("西藏自治区", "Tibet Autonomous Region"),
        ("新塍镇", "Xincheng Town"),
    ],
)
def test_romanize_place(place: str, expected: str) -> None:
    assert romanize_place(place) == expected


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("嘉兴", "place", "Jiāxīng"),
        ("北京", None, "Běijīng"),  # a known place is capitalized without a kind
        ("主题", None, "zhǔtí"),
        ("长三角", None, "Chángsānjiǎo"),
        ("长三角", "place", "Chángsānjiǎo"),
        ("厦门", "place", "Xiàmén"),
        ("浙江省", None, "Zhèjiāng Shěng"),
        ("西安", "place", "Xī'ān"),
        ("裘建锋", "person", "Qiú Jiànfēng"),
        ("曾国藩", "person", "Zēng Guófān"),
        ("单雄信", "person", "Shàn Xióngxìn"),
        ("PM2.5浓度", None, "PM2.5nóngdù"),
    ],
)
def test_pinyin_with_tones(text: str, kind: NameKind | None, expected: str) -> None:
    assert pinyin_with_tones(text, kind=kind) == expected


def test_nothing_loads_at_import() -> None:
    code = "import sys, workers.english.romanize; print('pypinyin' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "False"
