"""The built-in extractive engine: TextRank with a lead prior, on the seed article."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from models.engines.base import SentenceRanker
from models.engines.extractive import TextRankRanker, content_words, stopwords_zh
from tests.paths import REPO, seed_body
from workers.article.segment import article_sentences

END_MARKS = ("。", "！", "？", "!", "?", "；", ";", "”", "」")


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    return article_sentences(seed_body())


@pytest.fixture(scope="module")
def ranker() -> TextRankRanker:
    return TextRankRanker()


def test_satisfies_the_protocol() -> None:
    ranker: SentenceRanker = TextRankRanker()
    assert ranker.engine_name == "extractive"


@pytest.mark.parametrize("k", [3, 4, 5])
def test_seed_brief_is_real_sentences_about_the_campaign(
    ranker: TextRankRanker, seed_sentences: list[str], k: int
) -> None:
    picked = ranker.rank(seed_sentences, k)
    assert len(picked) == k
    assert picked == sorted(set(picked)), "indices come back once each, in article order"
    chosen = [seed_sentences[i] for i in picked]
    for sentence in chosen:
        assert sentence.endswith(END_MARKS), f"fragment picked: {sentence}"
        assert len(sentence) >= 20, f"headline-like line picked: {sentence}"
    # Headline, subtitle and dateline (the first three lines) are never picked.
    assert min(picked) >= 3
    # The brief is about the theme education campaign, in Jiaxing.
    assert sum("主题教育" in s for s in chosen) >= 2
    assert any("嘉兴" in s or "全市" in s or "我市" in s for s in chosen)
    # News leads with what matters: the brief draws on the opening.
    assert min(picked) < 10


def test_lead_prior_moves_the_choice_forward(seed_sentences: list[str]) -> None:
    flat = TextRankRanker(lead_weight=0.0).rank(seed_sentences, 4)
    lead = TextRankRanker(lead_weight=5.0).rank(seed_sentences, 4)
    assert sum(lead) < sum(flat)


def test_near_duplicates_are_picked_once(ranker: TextRankRanker) -> None:
    base = (
        "嘉兴全市党员干部深入开展主题教育，推动学习贯彻习近平新时代中国特色社会主义思想走深走实。"
    )
    sentences = [
        base,
        base,
        "嘉兴全市党员干部深入开展主题教育，推动学习贯彻习近平新时代中国特色社会主义思想走深走实！",
        "东风村村民需要到离村委会两公里的公交站赶公交，老人孩子非常不方便。",
        "主题教育期间，公交公司帮助东风村解决了车辆和场站建设等问题，公交车开进了村里。",
    ]
    picked = ranker.rank(sentences, 3)
    assert len(picked) == 3
    assert sum(i in picked for i in (0, 1, 2)) == 1


def test_short_lines_only_fill_in_when_nothing_else_is_left(ranker: TextRankRanker) -> None:
    sentences = [
        "主题教育综述",
        "嘉兴开展主题教育，全市党员干部学习贯彻新思想，推动主题教育走深走实。",
        "期盼什么?",
        "主题教育期间，嘉兴各地解决了一大批群众身边的操心事、烦心事、揪心事。",
    ]
    assert ranker.rank(sentences, 2) == [1, 3]
    assert ranker.rank(sentences, 4) == [0, 1, 2, 3]


def test_edge_cases(ranker: TextRankRanker) -> None:
    assert ranker.rank([], 3) == []
    assert ranker.rank(["一句话而已，没有别的内容可以选择。"], 0) == []
    assert ranker.rank(["一句话而已，没有别的内容可以选择。"], 5) == [0]
    # Sentences sharing no words still rank (by position).
    assert ranker.rank(["甲乙丙丁戊己庚辛壬癸。", "子丑寅卯辰巳午未申酉。"], 1) == [0]


def test_scores_cover_every_sentence(ranker: TextRankRanker, seed_sentences: list[str]) -> None:
    scores = ranker.scores(seed_sentences)
    assert len(scores) == len(seed_sentences)
    assert sum(scores) == pytest.approx(1.0, abs=1e-6)
    assert all(s > 0 for s in scores)


def test_content_words_drop_stop_words() -> None:
    words = content_words("我们进行了全市的主题教育工作。")
    assert "主题" in words or "主题教育" in words
    assert not {"我们", "进行", "全市", "工作", "的", "了", "。"} & set(words)
    assert {"进行", "全市", "工作", "我们"} <= stopwords_zh()


def test_bad_damping_is_refused() -> None:
    with pytest.raises(ValueError, match="damping"):
        TextRankRanker(damping=1.0)


def test_models_import_nothing_of_newsum() -> None:
    source = Path(REPO / "models/engines/extractive.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            assert not any(n and n.split(".")[0] in ("workers", "service") for n in names)


def test_jieba_loads_lazily_and_quietly() -> None:
    code = (
        "import sys\n"
        "from models.engines.extractive import TextRankRanker\n"
        "assert 'jieba' not in sys.modules\n"
        "sentences = ['嘉兴开展主题教育活动，效果很好。', '全市党员参加学习。']\n"
        "print(TextRankRanker().rank(sentences, 1))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[0]"
    assert "Building prefix dict" not in out.stderr
    assert "Loading model" not in out.stderr


# ---------------------------------------------------------------- the lead-anchored brief
# Articles written here, in the styles of two kinds of site: a portal story that
# opens with a photo caption and a credit, and a commentary account that opens
# with a one-line teaser before the news.

PORTAL = [
    ("江滨公园改造完工。", 0),
    ("视觉中国 资料", 0),
    ("（原标题：江滨公园改造完工 周末迎来首批市民）", 1),
    ("滨江区江滨公园改造工程日前全部完工，公园于本周六重新向市民开放，新增步道三公里。", 2),
    ("改造工程历时八个月，总投资约一点二亿元，由区城建集团负责实施。", 2),
    ("公园新增的步道沿江而建，连接了三个社区和两所学校，方便居民晨练和通勤。", 3),
    ("不少市民表示，改造后的公园环境更好了，周末愿意带孩子来散步。", 4),
    ("区城建集团表示，下一步将对公园周边道路进行提升改造，预计明年完工。", 5),
]
PORTAL_TITLE = "江滨公园改造完工 周末迎来首批市民"

COMMENTARY = [
    ("西方世界的一些人最近又开始坐不住了。", 0),
    ("昨天，六个国家的十二名议员宣布成立一个新的联盟，号称要协调对华政策。", 1),
    ("据了解，这个联盟目前没有任何正式的机构和预算，成员多为各国议会中的边缘人物。", 2),
    ("分析人士指出，这类联盟往往声势大于实质，难以对各国政府的政策产生真正影响。", 3),
    ("外交部发言人在例行记者会上回应称，奉劝有关议员尊重事实，停止干涉别国内政。", 4),
]
COMMENTARY_TITLE = "十二名议员成立新联盟 外交部回应"


def _split(article: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [s for s, _ in article], [p for _, p in article]


@pytest.mark.parametrize(
    ("article", "title", "lead"),
    [(PORTAL, PORTAL_TITLE, 3), (COMMENTARY, COMMENTARY_TITLE, 1)],
)
def test_the_lead_is_kept_past_captions_credits_and_teasers(
    ranker: TextRankRanker, article: list[tuple[str, int]], title: str, lead: int
) -> None:
    sentences, paragraphs = _split(article)
    assert ranker.rank(sentences, 1, paragraphs=paragraphs, title=title) == [lead]
    picked = ranker.rank(sentences, 3, paragraphs=paragraphs, title=title)
    assert lead in picked and min(picked) == lead, "nothing before the lead is picked"
    # Without the headline the teaser is not recognised, but captions and credits still go.
    assert ranker.rank(sentences, 1, paragraphs=paragraphs) == [3 if article is PORTAL else 0]


def test_the_lead_paragraph_comes_before_later_topic_sentences(ranker: TextRankRanker) -> None:
    sentences, paragraphs = _split(PORTAL)
    # A third sentence in the lead paragraph (导语): it goes before the next
    # paragraph's opening sentence, which it would not without the bonus.
    sentences.insert(5, "工程包括绿化提升、照明改造和停车场扩建三项内容，全部按期完成。")
    paragraphs.insert(5, 2)
    assert ranker.rank(sentences, 3, paragraphs=paragraphs, title=PORTAL_TITLE) == [3, 4, 5]
    no_bonus = TextRankRanker(lead_paragraph_weight=0.0)
    assert no_bonus.rank(sentences, 3, paragraphs=paragraphs, title=PORTAL_TITLE) != [3, 4, 5]


def test_the_headline_pulls_a_sentence_forward() -> None:
    sentences, paragraphs = _split(PORTAL)
    echo = [*sentences, "江滨公园改造完工后，周末迎来首批市民，现场十分热闹。"]
    echo_paragraphs = [*paragraphs, 6]
    title_heavy = TextRankRanker(title_weight=5.0)
    assert 8 in title_heavy.rank(echo, 2, paragraphs=echo_paragraphs, title=PORTAL_TITLE)
    assert 8 not in title_heavy.rank(echo, 2, paragraphs=echo_paragraphs)


def test_redundancy_is_removed(ranker: TextRankRanker) -> None:
    sentences, paragraphs = _split(PORTAL)
    # The same news again, reworded a little, right after the lead.
    again = "滨江区江滨公园改造工程日前全部完工，公园将于本周六重新向市民开放，新增步道三公里。"
    sentences.insert(4, again)
    paragraphs.insert(4, 2)
    picked = ranker.rank(sentences, 3, paragraphs=paragraphs, title=PORTAL_TITLE)
    assert 3 in picked and 4 not in picked
    # Either guard alone keeps it out; with neither it is picked (it sits in the lead paragraph).
    no_guard = TextRankRanker(redundancy=0.0, duplicate_overlap=1.01)
    assert 4 in no_guard.rank(sentences, 3, paragraphs=paragraphs, title=PORTAL_TITLE)
    mmr_only = TextRankRanker(redundancy=3.0, duplicate_overlap=1.01)
    assert 4 not in mmr_only.rank(sentences, 3, paragraphs=paragraphs, title=PORTAL_TITLE)


def test_paragraphs_must_match_the_sentences(ranker: TextRankRanker) -> None:
    with pytest.raises(ValueError, match="paragraph"):
        ranker.rank(["第一句话说的是新闻的主要内容。", "第二句话。"], 1, paragraphs=[0])


def test_side_sentences_only_fill_in_at_the_end(ranker: TextRankRanker) -> None:
    sentences, paragraphs = _split(PORTAL)
    everything = ranker.rank(sentences, len(sentences), paragraphs=paragraphs, title=PORTAL_TITLE)
    assert everything == list(range(len(sentences)))
    five = ranker.rank(sentences, 5, paragraphs=paragraphs, title=PORTAL_TITLE)
    assert not {0, 1, 2} & set(five)
