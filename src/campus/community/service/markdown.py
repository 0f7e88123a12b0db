"""Markdown to sanitized HTML for topics, posts and notes.

markdown-it-py renders CommonMark with raw HTML disabled (it is shown as text); nh3 (ammonia)
then keeps a whitelist of tags and attributes: no script, style, iframe, object or form, no
event-handler or ``style`` attributes, and links and images only with ``http``, ``https`` or
``mailto`` (a ``javascript:`` or ``data:`` URL loses its ``href``/``src``). Both layers would
stop the usual payloads alone; together a bug in one is not a hole.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import nh3
from markdown_it import MarkdownIt

_TAGS = frozenset(
    {
        "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
        "tr", "th", "td", "img", "span",
    }
)  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "span": {"class"},
}
_SCHEMES = frozenset({"http", "https", "mailto"})
_MENTION = re.compile(r"@\[([^\[\]\n]{1,120})\]\(([0-9a-fA-F-]{36})\)")
_WORD = re.compile(r"\w+")
#: A link or image must be an absolute URL of an allowed scheme (relative URLs are dropped too:
#: nothing a post links to lives on the API's origin).
_ABSOLUTE_URL = re.compile(r"^(?:https?://[^\s/?#]+|mailto:[^\s]+)", re.IGNORECASE)


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    if name in ("href", "src") and not _ABSOLUTE_URL.match(value):
        return None
    if name == "class" and not re.fullmatch(r"(?:language-[\w+-]{1,30}|mention)", value):
        return None
    return value


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def render(markdown: str) -> str:
    """Sanitized HTML of ``markdown`` (mentions ``@[Name](user-id)`` show as ``@Name``)."""
    text = _MENTION.sub(lambda m: f"@{m.group(1)}", markdown)
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=set(_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="nofollow ugc noopener noreferrer",
        strip_comments=True,
        attribute_filter=_keep_attribute,
    )


def mentioned_ids(markdown: str) -> list[str]:
    """The user ids of the mentions in ``markdown`` (``@[Name](user-id)``, as the editor
    inserts them), in order, once each."""
    seen: dict[str, None] = {}
    for match in _MENTION.finditer(markdown):
        seen.setdefault(match.group(2).lower(), None)
    return list(seen)


def plain_text(markdown: str) -> str:
    """The text without Markdown punctuation (for excerpts and search)."""
    html = _parser().render(_MENTION.sub(lambda m: f"@{m.group(1)}", markdown))
    return " ".join(nh3.clean(html, tags=set()).split())


def excerpt(markdown: str, length: int) -> str:
    text = plain_text(markdown)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def fold(text: str) -> str:
    """Case- and accent-folded text (what the search documents hold)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_words(text: str) -> list[str]:
    return _WORD.findall(fold(text))
