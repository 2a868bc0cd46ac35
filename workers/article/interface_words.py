"""Interface vocabulary: the words of a page's buttons, share strips and menus.

A news page wraps its article in the site's interface: navigation bars
(首页 | 新闻 | 登录), language switches (简 | 繁 | EN), share strips
(分享到：微博 微信 QQ空间) and, on WeChat, the "看一看" panel (已发送 / 发送中 /
微信扫一扫). Such a word counts only when it stands alone as an item of a line
(items are split at spaces and at | ｜ / · • > ›), never inside a sentence, so
"科技" in "科技创新是……" is prose and "科技" in "新闻 | 科技 | 财经" is a menu.

Where the words come from (all seen outside article bodies):

* tokens standing alone on the shared test pages (../shared/data/html) of three
  or more different sites: 首页 (19 sites) 登录 (14) 评论 (13) 联系我们 (13)
  视频 (12) 注册 (8) 分享 (8) 关于我们 (8) 网站地图 (6) 收藏 (6) 分享到 (6+5)
  QQ空间 (7) 新浪微博 (7) 微信 (7) 退出 (6) 广告服务 (7) 更多 (6) 回复 (5) 友情链接 (5)
  English (5) 举报 (4) 返回顶部 (3) 搜索 (3) 意见反馈 (3) 隐私政策 (3) 下一页 / 上一页 (3),
  and the section names of their menus (新闻 财经 科技 体育 娱乐 汽车 教育 ...);
  share-strip names on two or more of those sites: 人人网 腾讯微博 设为首页 打印 关闭;
* the WeChat article page's interface outside ``js_content`` (gne__wechat__2):
  微信扫一扫 关注该公众号 已发送 发送中 取消 发送 发送到看一看 在看 阅读 赞赏
  使用小程序 允许 知道了 我知道了 前往看一看 写下你的想法 长按识别前往小程序;
* the language switch and service links of government portals named in issue 13
  (首页 | 简 | 繁 | EN), with their usual neighbours 繁體 简体 无障碍 手机版 政务服务,
  and the old share label 转播到腾讯微博 of Chinese portals (issue 13's class list).
"""

from __future__ import annotations

import re

INTERFACE_WORDS = frozenset(
    # navigation and account
    "首页 网站首页 返回首页 登录 注册 退出 搜索 更多 下一页 上一页 尾页 返回 返回顶部 "
    "联系我们 关于我们 网站地图 广告服务 意见反馈 隐私政策 友情链接 帮助 设为首页 加入收藏 "
    "手机版 客户端 移动版 无障碍 简 繁 简体 繁體 繁体 EN English 中文 政务服务 政务公开 "
    "互动交流 "
    # sections of portal menus
    "新闻 国内 国际 社会 财经 科技 体育 娱乐 汽车 房产 教育 军事 文化 旅游 时尚 健康 "
    "游戏 读书 博客 视频 图片 专题 评论 时政 数码 资讯 直播 "
    # share strips and buttons
    "分享 分享到 分享至 一键分享 转发 收藏 点赞 赞 在看 阅读 阅读原文 赞赏 打印 打印本页 "
    "关闭 关闭窗口 纠错 举报 复制链接 微信 微博 新浪微博 腾讯微博 转播到腾讯微博 QQ QQ空间 "
    "人人网 豆瓣 朋友圈 微信好友 扫一扫 微信扫一扫 字号 大 中 小 回复 留言 写留言 "
    # WeChat's 看一看 panel and dialogs
    "关注 关注该公众号 已发送 发送中 发送 发送到看一看 取消 确定 允许 知道了 我知道了 "
    "使用小程序 前往看一看 写下你的想法 长按识别前往小程序 视频 小程序".split()
)

# Separators between the items of a menu or share line.
_ITEM_SPLIT = re.compile(r"[\s|｜/／·•>›»:：,，、]+")


def interface_chars(line: str) -> int:
    """Characters of ``line`` in items that are interface words."""
    return sum(len(item) for item in _ITEM_SPLIT.split(line) if item in INTERFACE_WORDS)


def is_interface_line(line: str) -> bool:
    """True when every item of ``line`` is an interface word ("分享到：微博 微信 QQ空间")."""
    items = [item for item in _ITEM_SPLIT.split(line) if item]
    return bool(items) and all(item in INTERFACE_WORDS for item in items)
