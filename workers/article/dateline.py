"""When an article was published, from the places a page states it, in this order:

1. the page's meta tags, JSON-LD or ``<time>`` (``workers.article.page_metadata``);
2. the header: a dated line between the headline and the body ("2019-09-07 19:53 来源：…");
3. a dated line just after the body, before any other text ("发布日期：2019-03-06 责任编辑：
   龙慧", or a bare date under a post past its share buttons);
4. trafilatura's date, only when the page's machine-readable dates or its URL state it.

Never from anywhere else on the page: a related-articles list or a sidebar dates other
articles. trafilatura guesses when a page states no date (from copyright years, from
any date in the text); such a guess is dropped and a warning says so, since no date is
better than a wrong one.
"""

from __future__ import annotations

import re

from workers.article.metadata import is_byline_line, normalize_date

# "今天是2019年9月7日": the day the page was saved, in a site's top bar.
_TODAY = re.compile(r"今天是|今日是|今天[:：]|今日[:：]")
# A credit line closing a body names what its date is: 发布日期, 时间, 来源, 编辑 …
_FOOTER_MARK = re.compile(r"发布|发表|日期|时间|来源|编辑|作者|记者")
_BARE_DATE = re.compile(
    r"^\s*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)
# Labels that open a list of other articles (相关新闻, 推荐阅读, 上一篇 …) or a ranking.
_LIST_LABEL = re.compile(
    r"^\W{0,2}(?:相关|推荐|热门|热点|延伸|猜你|上一篇|下一篇|更多|排行|往期|精彩)"
)


def is_dateline(line: str) -> bool:
    """A short line that dates the article: a date, and no sentence ("2019-09-07 来源：…")."""
    return (
        len(line) <= 100
        and len(re.findall(r"[\u4e00-\u9fff]", line)) <= 40
        and normalize_date(line) is not None
        and not re.search(r"[。！？]", line)
        and not _TODAY.search(line)
    )


def header_date(header: list[str]) -> str | None:
    """The first date on a dated line of the article's header."""
    return next((normalize_date(line) for line in header if is_dateline(line)), None)


def footer_date(footer: list[str]) -> str | None:
    """The date shown right after the body ("发布日期：2019-03-06 责任编辑：龙慧", or a bare
    date under a post), before any other text: past the share and count buttons (lines of
    few Chinese characters) and credit lines, up to the first line of other text or a
    related-articles label, whose dates are other articles'."""
    for line in footer:
        if _LIST_LABEL.search(line):
            return None
        if is_dateline(line) and (_FOOTER_MARK.search(line) or _BARE_DATE.match(line)):
            return normalize_date(line)
        if len(re.findall(r"[\u4e00-\u9fff]", line)) >= 6 and not is_byline_line(line):
            return None
    return None


def pick_published(
    meta_date: str | None,
    header: list[str],
    footer: list[str],
    guessed: str | None,
    evidence: set[str],
) -> tuple[str | None, list[str]]:
    """The publication date (ISO) and the warnings about it.

    ``meta_date``: from the meta tags; ``header``/``footer``: the page's lines between
    the headline and the body, and just after the body; ``guessed``: trafilatura's date;
    ``evidence``: every date the page states in machine-readable form (meta, JSON-LD,
    ``<time>``) and the URL's.
    """
    found = meta_date or header_date(header) or footer_date(footer)
    if found:
        return found, []
    if guessed and guessed in evidence:
        return guessed, []
    if guessed:
        return None, [
            f"The page shows no publication date, so none is given (a date guessed from "
            f"elsewhere on the page, {guessed}, was left out)."
        ]
    return None, ["The page shows no publication date, so none is given."]
