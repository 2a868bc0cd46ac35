"""Plain text as scrapers save it → the article body, its metadata and the boilerplate.

A scraper's dump of a Chinese news page is the article wrapped in the site: a
navigation bar, a breadcrumb (您当前的位置 : A >> B), the headline, a byline
(2020/01/09 来源:嘉兴日报 作者:裘建锋), the paragraphs, then 标签/编辑 lines,
section boxes with "更多" links and a copyright/ICP footer.

The rules, none tied to one site:

* the body is the longest run of *paragraph lines* (long lines that read as
  sentences), allowing short in-body lines (sub-headings) between them;
* above it, the byline (a line of credits, dates and sources) is read and removed,
  and the one or two short lines above the byline are the headline and sub-headline,
  stopping at anything that looks like navigation;
* everything outside that span is boilerplate and goes to ``removed``, and so do
  credit lines, copyright/ICP lines and "更多" links found inside it;
* site disclaimers, WeChat account tails, promo calls and share strips are never
  body (``workers.article.boilerplate.is_site_boilerplate``, shared with the HTML
  extractor).
"""

from __future__ import annotations

import re

from workers.article.boilerplate import is_site_boilerplate
from workers.article.dateline import footer_date
from workers.article.extracted import ExtractedArticle
from workers.article.metadata import (
    is_byline_line,
    merge_people,
    parse_byline,
    parse_inline_credits,
)
from workers.errors import EmptyInput

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE = re.compile(r"[。！？!?；;，,、：:]")
_NAV = re.compile(
    r"您当前的位置|当前位置|您的位置|所在位置|>>|»|首页\s*[>›]|[>›]\s*正文|\s\|\s|^\S{1,6}(?:\s+\S{1,6}){3,}$"
)
# Footer lines naming who runs the site, on a short line without sentence
# punctuation: a role and the centre, office or company that fills it
# ("主办：山西省人民政府办公厅", "共青团中央网络影视中心承办", "技术支持：××软件公司"),
# or a line that is only the name of a news, information or media centre
# ("嘉兴市南湖区新闻信息中心", "××县融媒体中心"). An event's organizer in a
# report ("主办单位：中国地理学会") names no centre or office and stays.
_OPERATOR_ROLE = r"(?:主办|承办|协办|主管|运营|运维|维护|技术支持)"
_OPERATOR_BODY = r"(?:中心|办公室|办公厅|宣传部|网信办|报社|杂志社|电视台|网站|网|公司)"
SITE_OPERATOR = (
    r"^(?=[^。！？!?]{2,80}$)(?:"
    rf".*{_OPERATOR_ROLE}(?:单位|方)?\s*[:：].*{_OPERATOR_BODY}"
    rf"|.*{_OPERATOR_BODY}\s*{_OPERATOR_ROLE}"
    r"|[^\s，,、：:]{0,30}(?:新闻|信息|网络|网信|融媒体|传媒|媒体)[^\s，,、：:]{0,8}中心\s*$)"
)
_FOOTER = re.compile(
    r"版权所有|版权声明|保留所有|Copyright|©|ICP备|ICP证|公网安备|批准文号|"
    r"网站介绍|广告服务|联系方式|法律声明|关于我们|网站地图|违法和不良信息|举报电话|未经.{0,10}(?:授权|许可)|"
    + SITE_OPERATOR
)
_MORE = re.compile(
    r"^(?:更多|更多>>|more|MORE|查看更多|点击查看更多|返回顶部|打印|关闭|关闭窗口|分享到?)\s*[>》]*$"
)
_LABEL = re.compile(r"^(?:标签|关键词|tags?)\s*[:：]", re.IGNORECASE)
# A paragraph line: enough Chinese to be prose, and punctuation inside it.
_PARAGRAPH_HAN = 25
# How many short lines may sit between two paragraphs and still be body (sub-headings).
_MAX_GAP = 3


def _is_paragraph(line: str) -> bool:
    return (
        len(_HAN.findall(line)) >= _PARAGRAPH_HAN
        and bool(_SENTENCE.search(line))
        and not _FOOTER.search(line)
        and not _NAV.search(line)
        and not is_site_boilerplate(line)
    )


def _is_short_prose(line: str) -> bool:
    return (
        len(_HAN.findall(line)) >= 8
        and bool(re.search(r"[。！？!?]$", line))
        and bool(re.search(r"[，,、；;]", line))
        and not _is_boilerplate(line)
    )


def _is_boilerplate(line: str) -> bool:
    return bool(
        _NAV.search(line)
        or _FOOTER.search(line)
        or _MORE.match(line)
        or _LABEL.match(line)
        or is_byline_line(line)
        or is_site_boilerplate(line)
    )


def _normalize_line(line: str) -> str:
    return re.sub(r"\s+", " ", line.replace("\u3000", " ").replace("\xa0", " ")).strip()


def clean_scraped_text(text: str) -> ExtractedArticle:
    """The article inside a scraper's plain-text dump of a news page.

    Returns the body (paragraphs joined by blank lines), title, date (ISO), outlet,
    authors and editors; every line dropped as boilerplate is kept in ``removed``.
    Raises :class:`EmptyInput` when there is no text.
    """
    lines = [_normalize_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise EmptyInput("the text is empty (no non-blank lines)")

    start, end = _body_span(lines)
    # Short opening paragraphs ("回首来时路,初心是什么?") sit between byline and body.
    while start > 0 and _is_short_prose(lines[start - 1]):
        start -= 1
    header, body, footer = lines[:start], lines[start : end + 1], lines[end + 1 :]

    title, subtitle, header_removed, header_credits = _read_header(header)
    removed = list(header_removed)
    credits = list(header_credits)
    kept: list[str] = [subtitle] if subtitle else []
    for line in body:
        if _is_boilerplate(line) and not _is_paragraph(line):
            removed.append(line)
            if is_byline_line(line):
                credits.append(line)
        else:
            kept.append(line)
    for line in footer:
        removed.append(line)
        if is_byline_line(line) or re.search(r"编辑|作者|记者|来源", line):
            credits.append(line)
    if not kept:
        # No prose found at all: keep the non-boilerplate lines rather than nothing.
        kept = [line for line in lines if not _is_boilerplate(line)]

    bylines = [parse_byline(line) for line in credits]
    bylines += [parse_inline_credits(line) for line in kept[:2]]
    editors = merge_people(*(b.editors for b in bylines))
    authors = [a for a in merge_people(*(b.authors for b in bylines)) if a not in editors]
    # The header's and body's credit lines date the article, else a dated line closing
    # it; never a related list after it (workers.article.dateline).
    in_footer = set(footer)
    dated = (
        b.published for line, b in zip(credits, bylines, strict=False) if line not in in_footer
    )
    return ExtractedArticle(
        text="\n\n".join(kept),
        title=title,
        published=next((d for d in dated if d), None) or footer_date(footer),
        outlet=next((b.outlet for b in bylines if b.outlet), None),
        authors=authors,
        editors=editors,
        photo_credits=merge_people(*(b.photo_credits for b in bylines)),
        removed=removed,
    )


def _body_span(lines: list[str]) -> tuple[int, int]:
    """First and last line index of the longest run of paragraphs (gaps ≤ _MAX_GAP lines)."""
    runs: list[tuple[int, int, int]] = []  # (han chars, first, last)
    first = last = -1
    han = 0
    gap = 0
    for i, line in enumerate(lines):
        if _is_paragraph(line):
            if first < 0:
                first = i
            last, gap = i, 0
            han += len(_HAN.findall(line))
            continue
        if first < 0:
            continue
        gap += 1
        if gap > _MAX_GAP or _FOOTER.search(line) or _MORE.match(line):
            runs.append((han, first, last))
            first, han, gap = -1, 0, 0
    if first >= 0:
        runs.append((han, first, last))
    if not runs:
        return 0, len(lines) - 1
    _, start, end = max(runs)
    return start, end


def _read_header(header: list[str]) -> tuple[str | None, str | None, list[str], list[str]]:
    """Headline, sub-headline, removed lines and credit lines from the lines above the body.

    Walking up from the body: credit lines are taken out; the first one or two short
    prose-free lines above them are the sub-headline and headline; the walk stops at
    navigation. A header without a byline yields at most the line right above the body.
    """
    titles: list[str] = []
    credits: list[str] = []
    saw_byline = False
    i = len(header) - 1
    while i >= 0:
        line = header[i]
        if is_byline_line(line):
            credits.append(line)
            saw_byline = True
        elif _is_boilerplate(line) or len(titles) == 2:
            break
        elif len(line) <= 60 and not re.search(r"[。！？]$", line):
            titles.append(line)
            if not saw_byline and len(titles) == 1 and i > 0 and not is_byline_line(header[i - 1]):
                i -= 1
                break
        else:
            break
        i -= 1
    titles.reverse()
    stop = i + 1
    kept_header = set(range(stop, len(header)))
    removed = [line for j, line in enumerate(header) if j not in kept_header]
    removed += list(reversed(credits))
    if len(titles) == 2:
        return titles[0], titles[1], removed, credits
    if len(titles) == 1:
        return titles[0], None, removed, credits
    return None, None, removed, credits
