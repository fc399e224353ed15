"""Posts are written in Markdown and stored as sanitised HTML.

markdown-it-py's js-default preset (no raw HTML) renders; nh3 then keeps
only the tags below, so nothing a member types can run script. Links to
YouTube and Vimeo on a line of their own become privacy-enhanced players.
"""

import re
from urllib.parse import parse_qs, urlparse

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "a", "ul", "ol", "li", "blockquote",
    "code", "pre", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr",
    "th", "td", "div", "iframe",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "iframe": {
        "src",
        "title",
        "width",
        "height",
        "allow",
        "allowfullscreen",
        "loading",
        "referrerpolicy",
    },
}
EMBED_PREFIXES = (
    "https://www.youtube-nocookie.com/embed/",
    "https://player.vimeo.com/video/",
)
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def video_embed_url(url):
    """The privacy-enhanced player URL for a YouTube or Vimeo link, or None."""
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"}:
        return None
    host = (parsed.hostname or "").removeprefix("www.").removeprefix("m.")
    parts = [part for part in parsed.path.split("/") if part]
    video_id = None
    if host == "youtube.com":
        if parts == ["watch"]:
            video_id = parse_qs(parsed.query).get("v", [None])[0]
        elif len(parts) == 2 and parts[0] in {"shorts", "embed", "live"}:
            video_id = parts[1]
    elif host == "youtu.be" and len(parts) == 1:
        video_id = parts[0]
    if video_id and YOUTUBE_ID.match(video_id):
        return f"https://www.youtube-nocookie.com/embed/{video_id}"
    if host == "vimeo.com" and len(parts) == 1 and parts[0].isdigit():
        return f"https://player.vimeo.com/video/{parts[0]}?dnt=1"
    return None


def _embed_videos(state):
    """A paragraph holding nothing but a video link gets a player before it."""
    tokens = state.tokens
    result = []
    for index, token in enumerate(tokens):
        result.append(token)
        if token.type != "paragraph_open" or index + 1 >= len(tokens):
            continue
        inline = tokens[index + 1]
        children = [c for c in inline.children or [] if c.type != "softbreak"]
        if [c.type for c in children] != ["link_open", "text", "link_close"]:
            continue
        embed = video_embed_url(children[0].attrGet("href") or "")
        if embed is None:
            continue
        provider = "Vimeo" if "vimeo" in embed else "YouTube"
        title = f"{provider}: {children[1].content}"
        player = Token("html_block", "", 0)
        src, title = nh3.escape(embed), nh3.escape(title)
        player.content = (
            f'<div class="video-embed"><iframe src="{src}" title="{title}" '
            'width="560" height="315" loading="lazy" '
            'referrerpolicy="strict-origin-when-cross-origin" '
            'allow="encrypted-media; picture-in-picture" allowfullscreen>'
            "</iframe></div>\n"
        )
        result.insert(len(result) - 1, player)
    state.tokens = result


def _demote_heading(renderer, tokens, index, options, env):
    # Page headings are h1 (thread) and h2 (posts): a post's own start at h3.
    token = tokens[index]
    token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
    return renderer.renderToken(tokens, index, options, env)


def _image_as_link(renderer, tokens, index, options, env):
    # Images from elsewhere would track readers and break the CSP: link them.
    token = tokens[index]
    src = token.attrGet("src") or ""
    label = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{nh3.escape(src)}">{nh3.escape(label)}</a>'


_parser = MarkdownIt("js-default", {"linkify": True, "breaks": True}).enable(
    ["table", "strikethrough", "linkify"]
)
_parser.core.ruler.push("embed_videos", _embed_videos)
_parser.add_render_rule("heading_open", _demote_heading)
_parser.add_render_rule("heading_close", _demote_heading)
_parser.add_render_rule("image", _image_as_link)


def _allowed_attribute(tag, attribute, value):
    if tag == "iframe" and attribute == "src":
        return value if value.startswith(EMBED_PREFIXES) else None
    return value


def render(markdown):
    """Markdown → HTML that is safe to show as it is."""
    html = _parser.render(markdown)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_allowed_attribute,
        allowed_classes={"div": {"video-embed"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
