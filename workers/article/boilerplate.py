"""Line rules for the HTML extractor's body lines: what a reader never needs.

Junk links ("更多", "打印", "相关阅读"), copyright and ICP lines, navigation bars,
credit and date-only lines, and trailing lists of related headlines are taken out
of the kept lines (into ``removed``); credit lines are recognized by
``workers.article.metadata.is_byline_line``, the same test the scraped-text
cleaner uses. Pure functions over strings.
"""

from __future__ import annotations

import re

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
        if (_JUNK_LINE.match(line) or _COPYRIGHT.search(line) or _NAV_LINE.search(line)) and (
            not is_sentence_like(line)
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
    return any(re.search(r"^(?:延伸|相关|推荐|热门|热点|猜你喜欢)", t) for t in tail)


def _merge_broken_brackets(lines: list[str]) -> list[str]:
    # A lone "】" left behind by a line break inside 【…】.
    return [line for line in lines if line.strip("】]）) ")]
