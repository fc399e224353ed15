from html.parser import HTMLParser

import pytest

from boards.markdown import ALLOWED_TAGS, render, video_embed_url


def parse(html):
    """The (tag, attributes) of every element in some HTML."""

    class Collector(HTMLParser):
        def __init__(self):
            super().__init__()
            self.elements = []

        def handle_starttag(self, tag, attrs):
            self.elements.append((tag, attrs))

    collector = Collector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<iframe src='https://evil.example/'></iframe>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
    ],
)
def test_dangerous_markup_never_comes_through(payload):
    elements = parse(render(payload))
    for tag, attributes in elements:
        assert tag in ALLOWED_TAGS
        for name, value in attributes:
            assert not name.startswith("on")
            assert (
                not (value or "").strip().lower().startswith(("javascript:", "data:"))
            )
    assert "iframe" not in {tag for tag, _attributes in elements}


def test_markdown_basics_render():
    html = render("**太字** と *斜体*\n\n- 一\n- 二\n\n> 引用")
    assert "<strong>太字</strong>" in html
    assert "<em>斜体</em>" in html
    assert "<li>一</li>" in html
    assert "<blockquote>" in html


def test_links_get_safe_rel():
    html = render("[七尾市](https://www.city.nanao.lg.jp/)")
    assert 'rel="nofollow noopener noreferrer"' in html


def test_bare_urls_become_links():
    assert '<a href="https://example.jp"' in render(
        "詳細は https://example.jp をご覧ください"
    )


def test_headings_start_below_the_page_headings():
    assert "<h3>見出し</h3>" in render("# 見出し")


def test_remote_images_become_links():
    html = render("![写真](https://example.com/a.png)")
    assert "<img" not in html
    assert '<a href="https://example.com/a.png"' in html


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/123456", "https://player.vimeo.com/video/123456?dnt=1"),
        ("https://example.jp/video.mp4", None),
        ('https://www.youtube.com/watch?v=bad"id', None),
        ("javascript:alert(1)//youtube.com/watch?v=dQw4w9WgXcQ", None),
    ],
)
def test_video_embed_urls(url, embed):
    assert video_embed_url(url) == embed


def test_a_video_link_on_its_own_line_becomes_a_player():
    html = render("PR動画です。\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    # The link stays too, for those who cannot use the player.
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in html


def test_a_video_link_inside_a_sentence_stays_a_link():
    html = render("動画 https://youtu.be/dQw4w9WgXcQ をご覧ください")
    assert "<iframe" not in html
