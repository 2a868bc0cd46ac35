"""Line rules for the HTML extractor's body lines: what a reader never needs.

Junk links ("更多", "打印", "相关阅读"), copyright and ICP lines, navigation bars,
credit and date-only lines, and trailing lists of related headlines are taken out
of the kept lines (into ``removed``); credit lines are recognized by
``workers.article.metadata.is_byline_line``, the same test the scraped-text
cleaner uses. Pure functions over strings.

Four classes of site boilerplate (:func:`is_site_boilerplate`, shared with the
scraped-text cleaner) go even when they read as sentences, because their cues
never occur in news prose:

* site disclaimers: "声明：本文仅代表作者观点，不代表本站立场", "免责声明：……据此操作，
  风险自担", "如有侵权请联系删除";
* WeChat account tails: staff lines (校对｜…, 排版｜…, 审核：…), "扫描二维码关注",
  "长按识别二维码", reply menus ("回复【资料】领取……", "后台回复……"), "点【在看】",
  "点击上方蓝字关注", "END";
* promo lines: short calls to action ("下载××客户端，阅读更多", "立即领取", "扫码报名");
* share labels and strips: lines made only of interface words
  (``workers.article.interface_words``: "分享到：微博 微信 QQ空间", "转播到腾讯微博",
  "点赞 在看 分享").
"""

from __future__ import annotations

import re

from workers.article.interface_words import is_interface_line
from workers.article.metadata import is_byline_line

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END = re.compile(r"[。！？!?；…]")
# Lines a reader never needs, whatever the site (matched on the whole line).
_JUNK_LINE = re.compile(
    r"^(?:[【\[]?(?:纠错|打印|关闭|关闭窗口|返回顶部|返回首页|分享到?|收藏|点赞|举报|评论|"
    r"我要评论|查看评论|扫一扫|点击投票|更多|更多>>|查看更多|阅读全文|展开全文|上一篇|下一篇|"
    r"延伸阅读|相关阅读|相关新闻|相关推荐|热点推荐|热门推荐|猜你喜欢|推荐阅读|延伸\s*·\s*推荐|"
    r"点击进入专题|进入专题|页首|点击|字号|大|中|小|原创)[】\]]?\s*[:：>》]*)$"
)
_DATE_ONLY = re.compile(
    r"^\s*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)
_COPYRIGHT = re.compile(
    r"版权所有|版权声明|Copyright|©|ICP备|ICP证|公网安备|未经.{0,10}(?:授权|许可).{0,10}(?:转载|使用)"
)
# Navigation bars and breadcrumbs: "首页 | 新闻 | 关于", "当前位置：首页 > 本地".
_NAV_LINE = re.compile(
    r"您当前的位置|当前位置|您的位置|>>|»|首页\s*[>›]|^(?:\S{1,8}\s*[|｜]\s*){2,}\S{1,8}$"
)

# Site disclaimers. Cues a news sentence never carries, on any line of up to
# _DISCLAIMER_CHARS; weaker ones (仅供参考, 投资有风险, 风险自担) only after a
# "声明/提示" label.
_DISCLAIMER_STRONG = re.compile(
    r"仅代表(?:作者|个人|本人|原作者)|不代表本\S{0,4}(?:观点|立场)|如有侵权|侵权请?(?:联系|告知)|"
    r"(?:联系|告知)(?:我们|小编|本站|本号)?(?:删除|处理)|版权归原作者|据此操作"
)
_DISCLAIMER_LABEL = re.compile(
    r"^[【\[(（]?(?:免责|特别|郑重|版权|风险)?(?:声明|提示)[】\])）]?\s*[:：]"
)
_DISCLAIMER_WEAK = re.compile(
    r"仅供参考|不构成(?:任何)?投资建议|投资有风险|风险自担|自担风险|不承担"
)
_DISCLAIMER_CHARS = 200
# WeChat account tails: staff credits, QR-code and reply-menu calls, 在看 buttons.
_WECHAT_STAFF = re.compile(
    r"^(?:校对|责任校对|排版|审核|审校|初审|复审|终审|监制|美编|统筹|值班编辑)\s*[｜|:：/丨︱]\s*\S"
)
# A QR code is a tail call when the line is a bare label or asks to follow or join
# ("市民可扫描二维码预约" is news).
_QR = re.compile(r"(?:扫描?|识别|长按)(?:下方|上方|文末|图中|图片)?(?:的)?(?:二维码|小程序码)")
_QR_FOLLOW = re.compile(r"关注|公众号|订阅|加入|进群|入群|加群|解锁|更多")
_QR_LABEL_CHARS = 12
_WECHAT_CALL = re.compile(
    r"长按(?:识别|扫码|关注)|后台回复|^(?:公众号)?回复\s*[【\[“\"「『]"
    r"|点(?:个|一下|击)?\s*(?:[【\[“\"「『]\s*(?:在看|好看|赞|分享)\s*[】\]”\"」』]|在看|好看)"
    r"|点击(?:上方|下方|顶部|文末)\S{0,6}(?:关注|名片|阅读原文)|^[-—\s]*(?:END|THE END)[-—\s]*$"
)
_WECHAT_CALL_CHARS = 80
# Promo lines: short calls to action.
_PROMO = re.compile(
    r"(?:下载|打开|安装)\S{0,12}(?:客户端|APP|App|app)|(?:扫码|点击)(?:下载|购买|领取|报名|订阅)"
    r"|(?:立即|马上|免费)(?:下载|购买|领取|抢购|报名|订阅)"
)
_PROMO_CHARS = 50


def is_site_boilerplate(line: str) -> bool:
    """A disclaimer, a WeChat tail, a promo call or a share strip (see the module doc)."""
    return (
        is_disclaimer(line)
        or is_wechat_tail(line)
        or (len(line) <= _PROMO_CHARS and bool(_PROMO.search(line)))
        or is_interface_line(line)
    )


def is_disclaimer(line: str) -> bool:
    if len(line) > _DISCLAIMER_CHARS:
        return False
    if _DISCLAIMER_STRONG.search(line):
        return True
    return bool(_DISCLAIMER_LABEL.match(line) and _DISCLAIMER_WEAK.search(line))


def is_wechat_tail(line: str) -> bool:
    if _WECHAT_STAFF.match(line) and len(line) <= 60:
        return True
    if len(line) > _WECHAT_CALL_CHARS:
        return False
    if _QR.search(line) and (len(line) <= _QR_LABEL_CHARS or _QR_FOLLOW.search(line)):
        return True
    return bool(_WECHAT_CALL.search(line))


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def is_sentence_like(text: str) -> bool:
    return han_count(text) >= 15 and bool(_SENTENCE_END.search(text))


def clean_lines(
    lines: list[str], removed: list[str], headlines: list[str] | None = None
) -> list[str]:
    """Line rules shared by every source: credits, junk links, copyright, dangling lists.

    Headline lines found above an opening byline are appended to ``headlines``.
    """
    headlines = headlines if headlines is not None else []
    kept: list[str] = []
    for line in lines:
        if is_site_boilerplate(line) or (
            (_JUNK_LINE.match(line) or _COPYRIGHT.search(line) or _NAV_LINE.search(line))
            and not is_sentence_like(line)
        ):
            removed.append(line)
        elif is_byline_line(line) or _DATE_ONLY.match(line):
            # Short headline lines right above an opening byline are header, not body.
            if len(kept) <= 2 and all(len(k) <= 60 and not is_sentence_like(k) for k in kept):
                headlines.extend(kept)
                removed.extend(kept)
                kept = []
            removed.append(line)
        else:
            kept.append(line)
    # Trailing lists of short headlines (related stories) after the last real paragraph.
    while kept and not is_sentence_like(kept[-1]) and _looks_like_list_tail(kept):
        removed.append(kept.pop())
    return _merge_broken_brackets(kept)


def _looks_like_list_tail(kept: list[str]) -> bool:
    """True when the last line is part of a trailing run of short, non-sentence lines
    that follows a "related/recommended" label or is itself only a headline with a date."""
    last = kept[-1]
    if re.search(r"(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\s*$", last):
        return True
    tail = []
    for line in reversed(kept):
        if is_sentence_like(line) and not re.search(r"推荐|相关|延伸|热门|热点", line):
            break
        tail.append(line)
    return any(re.search(r"^(?:延伸|相关|推荐|热门|热点|猜你喜欢|往期)", t) for t in tail)


def _merge_broken_brackets(lines: list[str]) -> list[str]:
    # A lone "】" left behind by a line break inside 【…】.
    return [line for line in lines if line.strip("】]）) ")]
