"""Article metadata from Chinese news text: dates, bylines (作者/记者/编辑/来源), titles.

Pure functions over strings, shared by the HTML extractor and the scraped-text
cleaner. Chinese bylines come in many shapes; the ones handled here::

    2020/01/09 来源:嘉兴日报 作者:裘建锋        date, outlet, author on one line
    （记者 裴剑飞）  记者：张三 李四             reporters, also inside parentheses
    文/王文   撰文︱春春   作者︱春春            writers
    （编辑：严玉洁 王辉）  【责任编辑:张樵苏】  责编：X   editors
    责任编辑：杨倩_NBJ11279                   staff codes after the name are dropped
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HAN = "\u4e00-\u9fff"
# A person's name as bylines print it: 2–4 Han characters (minority names joined by ·),
# or a Latin name of up to three words.
_NAME = re.compile(
    rf"^(?:[{_HAN}]{{2,4}}|[{_HAN}]{{1,6}}(?:[·•][{_HAN}]{{1,8}})+"
    r"|[A-Z][a-zA-Z.\-]+(?: [A-Z][a-zA-Z.\-]+){0,2})$"
)
# Words that follow a role marker but are not names (记者17日从…, 编辑部, 作者简介).
_NOT_NAMES = {
    "未知",
    "佚名",
    "本报",
    "本网",
    "本台",
    "网友",
    "记者",
    "编辑",
    "作者",
    "通讯员",
    "综合",
    "报道",
    "简介",
    "来源",
    "实习",
    "见习",
    "首席",
    "特约",
    "搜索",
    "暂无",
    "整理",
    "责任",
}
# Outlets and companies that sit in author fields (meta author "网易", 作者：新华网).
_ORG_NAME = re.compile(r"(?:网|报|社|台|刊|号|网易|新闻|传媒|集团|中心|编辑部|工作室|公司)$")

_SEP = r"[:：︱｜|/／]"
_ROLE_AUTHOR = r"(?:作者|记者|通讯员|撰文|执笔|文字|采写|文)"
_ROLE_EDITOR = r"(?:责任编辑|责编|编辑|主编)"
_ROLE_OTHER = (
    r"(?:来源|出处|摄影|摄|图|实习生|校对|审核|监制|制图|出品"
    r"|发布时间|时间|标签|关键词|字号|浏览|阅读)"
)
_ANY_ROLE = rf"(?:{_ROLE_EDITOR}|{_ROLE_AUTHOR}|{_ROLE_OTHER})"

# "作者:裘建锋", "记者 裴剑飞", "文/王文", "责任编辑：张樵苏 】": role, optional separator, names.
# Names run until the next role marker, a bracket or sentence punctuation.
_ROLE_NAMES = re.compile(
    rf"(?P<role>{_ROLE_EDITOR}|{_ROLE_AUTHOR})\s*(?P<sep>{_SEP}|\s)\s*"
    rf"(?P<names>(?!{_ANY_ROLE})[^\n:：︱｜|/／()（）【】\[\]<>《》，。；;！？!?]{{1,40}}?)"
    rf"(?=\s*(?:{_ANY_ROLE}\s*{_SEP}|[()（）【】\[\]，。；;！？!?]|$)|\s+{_ANY_ROLE}\s)"
)
# "（记者裴剑飞）": the reporter credit inside parentheses, with no separator.
_PAREN_REPORTER = re.compile(
    rf"[(（【\[]\s*(?:{_ROLE_AUTHOR}|{_ROLE_EDITOR})\s*(?P<names>[{_HAN}·]{{2,4}}(?:[\s、,，][{_HAN}·]{{2,4}})*)\s*[)）】\]]"
)
_OUTLET = re.compile(
    rf"(?:来源|出处|稿源)\s*{_SEP}?\s*(?P<outlet>[^\s:：|｜()（）【】\[\]，。；;]{{2,30}}?)"
    rf"(?=\s|$|[()（）【】\[\]，。；;|｜]|{_ANY_ROLE}\s*{_SEP})"
)

_DATE_PATTERNS = (
    re.compile(
        r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*"
        r"(?P<d>\d{1,2})(?!\d)\s*日?"
    ),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)"),
)


@dataclass
class Byline:
    """What one byline line says."""

    published: str | None = None
    outlet: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.published or self.outlet or self.authors or self.editors)


def normalize_date(text: str) -> str | None:
    """The first calendar date in ``text`` as ISO ``YYYY-MM-DD``, or ``None``.

    Reads 2020/01/09, 2020-1-9 12:00, 2020.01.09, 2020年1月9日, 20200109 and ISO
    timestamps; impossible dates (month 13, day 32) are skipped.
    """
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def clean_name(raw: str) -> str | None:
    """One credited name, cleaned, or ``None`` when it is not a person's name.

    Drops staff codes (杨倩_NBJ11279), trailing brackets and role words.
    """
    name = raw.strip().strip("】]）)[【（(<>").strip()
    name = re.split(r"[_＿]", name, maxsplit=1)[0].strip()
    # "本报记者", "南都记者", "新京报记者 X": the outlet and role before the name.
    name = re.sub(r"^.{0,6}?(?:记者|通讯员|实习生)", "", name).strip()
    if not name or name in _NOT_NAMES or not _NAME.match(name) or _ORG_NAME.search(name):
        return None
    return name


def split_names(raw: str) -> list[str]:
    """Names listed in one credit (separated by spaces, 、 , ， or &), cleaned.

    The list ends at the next role word ("编辑 刘晓阳 校对 李铭" names one editor).
    """
    names: list[str] = []
    for part in re.split(r"[\s、,，;；&＆]+", raw.strip()):
        if re.fullmatch(rf"{_ANY_ROLE}|通讯员|实习生|校对|审核|主编|监制|统筹", part):
            break
        name = clean_name(part)
        if name and name not in names:
            names.append(name)
    return names


def parse_byline(line: str) -> Byline:
    """Date, outlet, authors and editors named in one line of text.

    Only explicit role markers count: 作者/记者/文/撰文 give authors, 编辑/责任编辑/责编
    give editors, 来源 gives the outlet. "记者17日从…" names nobody.
    """
    byline = Byline(published=normalize_date(line))
    outlet = _OUTLET.search(line)
    if outlet:
        byline.outlet = outlet["outlet"].strip()
    for match in _ROLE_NAMES.finditer(line):
        role = match["role"]
        names = split_names(match["names"])
        # "文" alone is a credit only with a separator (文/王文): "中文 English" is not one.
        if match["sep"].isspace() and (not names or role == "文"):
            continue
        target = byline.editors if re.fullmatch(_ROLE_EDITOR, role) else byline.authors
        target.extend(n for n in names if n not in target)
    for match in _PAREN_REPORTER.finditer(line):
        role_text = match.group(0)
        target = byline.editors if re.search(_ROLE_EDITOR, role_text) else byline.authors
        target.extend(n for n in split_names(match["names"]) if n not in target)
    return byline


_BRACKETED = re.compile(r"[(（【\[]([^()（）【】\[\]]{2,40})[)）】\]]")


def parse_inline_credits(text: str) -> Byline:
    """Credits set in brackets inside running text: "新京报快讯（记者 裴剑飞）今日…".

    Unbracketed role words in a sentence ("该报记者 张三说") are not read: in prose
    they are too often followed by a verb rather than a name.
    """
    found = Byline()
    for match in _BRACKETED.finditer(text):
        inner = match.group(1)
        if not re.search(rf"{_ROLE_EDITOR}|{_ROLE_AUTHOR}", inner):
            continue
        byline = parse_byline(match.group(0))
        found.authors.extend(a for a in byline.authors if a not in found.authors)
        found.editors.extend(e for e in byline.editors if e not in found.editors)
    return found


_BYLINE_LINE = re.compile(
    rf"^[\s(（【\[]*(?:{_ROLE_EDITOR}|{_ROLE_AUTHOR}|来源|出处|稿源|发布时间|时间|标签)\s*{_SEP}"
)


def is_byline_line(line: str) -> bool:
    """True for a short line that is only credits/date/source (to be moved out of the body).

    A sentence that mentions a reporter ("新京报快讯（记者 裴剑飞）今日…") is not one.
    """
    text = line.strip()
    if not text or len(text) > 80 or re.search(r"[。！？!?]", text):
        return False
    if _BYLINE_LINE.match(text) and len(text) <= 40:
        # "（责任编辑： HN666）": a credit line even when the name is a staff code.
        return True
    byline = parse_byline(text)
    if byline.empty:
        return False
    # What is left after removing the credits, dates and markers must be tiny.
    rest = re.sub(_ROLE_NAMES, "", text)
    rest = re.sub(_OUTLET, "", rest)
    rest = re.sub(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?", "", rest)
    rest = re.sub(r"\d{1,2}:\d{2}(?::\d{2})?", "", rest)
    rest = re.sub(r"[\s()（）【】\[\]|｜:：︱/]", "", rest)
    return len(rest) <= 6


def merge_people(*groups: list[str]) -> list[str]:
    """Union of name lists, first-seen order, dropping names contained in a longer one."""
    merged: list[str] = []
    for group in groups:
        for name in group:
            if name not in merged:
                merged.append(name)
    return [n for n in merged if not any(n != other and n in other for other in merged)]
