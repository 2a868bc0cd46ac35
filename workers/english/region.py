"""Is a story from or about Hong Kong or Macau? Then its people's names are written in
Cantonese, the way the English press there writes them (``workers.english.cantonese``).

A story counts when one of these says so:

* its address is in Hong Kong or Macau (a host under .hk or .mo);
* its dateline is: the text opens with 香港电 / 澳门电 / 香港讯 ("新华社香港3月5日电");
* Hong Kong and Macau are what it is about: at least ``MIN_MENTIONS`` mentions of
  香港, 澳门 and the words that stand for them (港府, 特区政府, 港人, 港媒, 九龙, 新界,
  港岛), and they make up at least ``MIN_SHARE`` of the story's place names. On the
  pages of ../shared/data (in-sample) the two Hong Kong stories (BBC 中文网 on 梁振英,
  sina on 陈同佳) have shares of 0.5 and above; of the others, a story on Western
  politicians and Hong Kong's security law has 0.08, a property story citing a Hong Kong
  paper once 0.01.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MIN_MENTIONS = 2
MIN_SHARE = 0.3
HONG_KONG_WORDS = re.compile(r"香港|澳门|港府|特区政府|港人|港媒|九龙|新界|港岛")
_DATELINE = re.compile(r"^[^\n。]{0,20}?(?:香港|澳门)(?:\d{1,2}月\d{1,2}日)?(?:电|讯)")


def hong_kong_address(url: str | None) -> bool:
    """The page's host is under .hk or .mo."""
    if not url:
        return False
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    return host.endswith((".hk", ".mo"))


def hong_kong_dateline(text: str) -> bool:
    """The story opens with a Hong Kong or Macau dateline (香港电, 澳门讯 …)."""
    return bool(_DATELINE.match(text.lstrip()))


def hong_kong_share(mentions: int, place_mentions: int) -> bool:
    """Hong Kong and Macau mentions are enough, and enough of the story's places."""
    if mentions < MIN_MENTIONS:
        return False
    return mentions / max(mentions, place_mentions) >= MIN_SHARE


def is_hong_kong_story(
    text: str, *, place_mentions: int | None = None, url: str | None = None
) -> bool:
    """The story is from or about Hong Kong or Macau (rules in the module docstring).

    ``place_mentions``: how many place names the story has (key terms count them while
    tagging); when not given, the text is tagged here.
    """
    if hong_kong_address(url) or hong_kong_dateline(text):
        return True
    mentions = len(HONG_KONG_WORDS.findall(text))
    if mentions < MIN_MENTIONS:
        return False
    if place_mentions is None:
        from workers.english.kinds import classify, place_heads, tagged_words

        tokens = tagged_words(text)
        heads = place_heads(tokens)
        place_mentions = sum(
            classify(w, f, before_place_suffix=w in heads) == "place" for w, f in tokens
        )
    return hong_kong_share(mentions, place_mentions)
