"""Site boilerplate kept out of the body: disclaimers, WeChat account tails, promo lines and
boxes, share labels. Each class on pages of two sites' styles (shared pages or hand-written),
and the news sentences that look like them kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import HTML_DIR
from workers.article.boilerplate import (
    clean_lines,
    is_disclaimer,
    is_site_boilerplate,
    is_wechat_tail,
)
from workers.article.extract import extract_main_text
from workers.article.intake import decode_bytes
from workers.article.scraped_text import clean_scraped_text

WECHAT_HIDDEN = (
    Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "wechat-hidden-body.html"
)

# News prose written for these tests.
BODY = (
    "记者从市交通运输局获悉，今年我市将新开通八条公交线路，覆盖城郊十二个新建小区。",
    "新线路将在五月底前陆续开通，首末班时间与地铁运营时间衔接，方便居民换乘。",
    "交通部门表示，还将根据客流情况调整发车间隔，高峰时段最短五分钟一班。",
)
# Sentences of news that share a word with a boilerplate class: never removed.
NEWS_LOOKALIKES = (
    "外交部发言人当天发表声明：中方对此坚决反对，已向对方提出严正交涉。",
    "专家提醒，投资有风险，入市需谨慎，不要轻信所谓的内部消息。",
    "市民可扫描二维码在线预约挂号，医院还将开通电话预约。",
    "视频发布后，网友纷纷点赞，称赞这位外卖小哥见义勇为。",
    "截至目前，该APP下载量已突破一亿次，日活跃用户超过两千万。",
    "分享到朋友圈的照片引来不少点赞，也让这家小店一夜走红。",
    "他正在看书时，窗外突然传来一阵喧哗。",
)


def _page(*paragraphs: str, aside: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<html><head><title>八条公交线路今起开通</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> | <a href='/n'>新闻</a></div>"
        f"<div class='article-body'>{body}{aside}</div>"
        "<div class='footer'>版权所有 某某晚报</div></body></html>"
    )


def _shared(name: str) -> tuple[str, list[str]]:
    article = extract_main_text(decode_bytes((HTML_DIR / name).read_bytes()))
    return article.text, article.removed


@pytest.mark.parametrize("line", NEWS_LOOKALIKES)
def test_news_sentences_that_look_like_boilerplate_stay(line: str) -> None:
    assert not is_site_boilerplate(line)
    assert clean_lines([*BODY, line], []) == [*BODY, line]


# --- site disclaimers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "声明：本文仅代表作者观点，不代表本平台立场。",  # self-media platform style
        "免责声明：文章内容仅供参考，据此操作，风险自担。",  # finance portal style
        "声明：本文图片来自网络，如有侵权请联系删除。",  # WeChat account style
        "风险提示：市场有风险，本文不构成投资建议。",
    ],
)
def test_disclaimer_lines(line: str) -> None:
    assert is_disclaimer(line)
    assert clean_lines([*BODY, line], removed := []) == list(BODY)
    assert removed == [line]


def test_disclaimers_leave_pages_of_two_sites() -> None:
    text, removed = _shared("gne__sina__3.html")  # 新浪 self-media page
    assert "不代表新浪立场" not in text
    assert any(line.startswith("免责声明：") for line in removed)
    article = extract_main_text(WECHAT_HIDDEN.read_text("utf-8"))  # WeChat account post
    assert "如有侵权" not in article.text
    assert "声明：本文图片来自网络，如有侵权请联系删除。" in article.removed


# --- WeChat account tails ---------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "校对｜周敏",
        "校对|黄慧敏",
        "排版：林晓 审核：王强",
        "扫描二维码关注我们",
        "扫描下方二维码解锁更多技能",
        "长按识别二维码，关注我们",
        "回复【借书】查看借阅指南",
        "后台回复“加群”即可进入读者群",
        "点【在看】，让更多邻居知道",
        "看都看完了，点【在看】试试",
        "- END -",
    ],
)
def test_wechat_tail_lines(line: str) -> None:
    assert is_wechat_tail(line)
    assert clean_lines([*BODY, line], []) == list(BODY)


def test_wechat_tails_leave_posts_of_two_accounts() -> None:
    text, removed = _shared("gne__thepaper__4.html")  # a city paper's WeChat-style post
    for tail in ("校对|黄慧敏", "扫描下方二维码解锁更多技能"):
        assert tail not in text
        assert tail in removed
    assert "点【在看】" not in text
    article = extract_main_text(WECHAT_HIDDEN.read_text("utf-8"))  # a community account
    assert article.text.endswith("周一闭馆。")
    for tail in ("- END -", "校对｜周敏", "排版｜林晓"):
        assert tail in article.removed


def test_the_scraped_text_cleaner_drops_the_same_tails() -> None:
    dump = "\n".join(
        [
            "社区书屋开到了家门口",
            *BODY,
            "校对｜周敏",
            "声明：本文仅代表作者观点，不代表本平台立场。",
        ]
    )
    article = clean_scraped_text(dump)
    assert article.text.split("\n\n") == list(BODY)
    assert "校对｜周敏" in article.removed


# --- promo lines and boxes set into the article -----------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "(本文来自澎湃新闻，更多原创资讯请下载“澎湃新闻”APP)",
        "下载城东生活客户端，领取周末活动门票",
        "点击下载，立即领取新人红包",
    ],
)
def test_promo_lines(line: str) -> None:
    assert is_site_boilerplate(line)
    assert clean_lines([*BODY, line], []) == list(BODY)


def test_promo_line_leaves_a_shared_page() -> None:
    text, removed = _shared("gne__thepaper__3.html")
    assert "下载“澎湃新闻”APP" not in text
    assert any("下载“澎湃新闻”APP" in line for line in removed)


def test_labelled_related_box_inside_the_article_goes_on_two_sites() -> None:
    # 网易: a "延伸 · 推荐" box with a related story's headline and summary sentence.
    text, removed = _shared("gne__163__5.html")
    assert text.endswith("在已有技术手段下尽量避免误伤。")
    assert "江油电信客服人员已核实情况" not in text
    assert "延伸 · 推荐" in removed
    # A portal's "相关阅读" box (class named in pinyin initials) whose item is a full sentence.
    box = (
        "<div class='xgyd'><p>相关阅读</p>"
        "<p>记者昨天从地铁公司获悉，三号线末班车将推迟半小时，方便夜归乘客。</p></div>"
    )
    article = extract_main_text(_page(*BODY, aside=box))
    assert article.text.split("\n\n") == list(BODY)
    assert "相关阅读" in article.removed
    assert "记者昨天从地铁公司获悉，三号线末班车将推迟半小时，方便夜归乘客。" in article.removed


def test_ad_box_inside_the_article_goes_even_when_it_reads_as_prose() -> None:
    for box, line in (
        (
            "<div class='adv_card'><p>{}</p></div>",
            "本周末家电卖场举行大促销，全场商品一律八折，凭本报广告还可再领取一份精美礼品。",
        ),
        (
            "<section class='recommend'><p>{}</p></section>",
            "新用户注册即送三个月会员，每天都能免费阅读十篇精选深度报道，名额有限送完为止。",
        ),
    ):
        article = extract_main_text(_page(*BODY, aside=box.format(line)))
        assert article.text.split("\n\n") == list(BODY), box
        assert line in article.removed


# --- share labels -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["分享到：微博 微信 QQ空间", "转播到腾讯微博", "点赞 在看 分享", "分享至 | 朋友圈 | 微信好友"],
)
def test_share_label_lines(line: str) -> None:
    assert is_site_boilerplate(line)
    assert clean_lines([*BODY, line], []) == list(BODY)


@pytest.mark.parametrize(
    "share",
    [
        "<p>转播到腾讯微博</p>",  # the old QQ portal's share button
        "<p>分享到：<a>微博</a> <a>微信</a> <a>QQ空间</a></p>",  # a portal's share bar
    ],
)
def test_share_labels_inside_the_article_container_go(share: str) -> None:
    article = extract_main_text(_page(*BODY, aside=share))
    assert article.text.split("\n\n") == list(BODY)
    assert any("微博" in line for line in article.removed)
