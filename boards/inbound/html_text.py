"""HTML mail bodies as plain text, with the quoted history cut off.

Only for mail that has no text part: block elements become line breaks,
lists become "- " lines, a link becomes "text (url)", scripts and styles
are dropped. Everything from the first marker of quoted history on (the
markers Outlook, Thunderbird, Gmail and Apple Mail write, or any
<blockquote>) is returned apart as the elided text.
"""

import re
from html.parser import HTMLParser

_BLOCK = {
    "address", "article", "aside", "center", "dd", "details", "dl", "dt",
    "div", "fieldset", "figcaption", "figure", "footer", "form", "header",
    "li", "main", "nav", "p", "section", "summary", "td", "th", "tr",
}  # fmt: skip
# Blocks set off by a blank line.
_PARAGRAPH = {
    "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "pre",
    "table", "ul",
}  # fmt: skip
_DROPPED = {"head", "script", "style", "title", "template", "noscript", "svg"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"}
# Outlook (divRplyFwdMsg, appendonsend, the "From:" rule), Thunderbird
# (moz-cite-prefix), Gmail (gmail_quote), Yahoo (yahoo_quoted).
_QUOTE_IDS = {"divrplyfwdmsg", "appendonsend", "x_divrplyfwdmsg", "x_appendonsend"}
_QUOTE_CLASSES = {"moz-cite-prefix", "gmail_quote", "gmail_attr", "yahoo_quoted"}
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
# html.parser reads some 50,000 tags a second; more HTML than this is
# markup bloat or an attack, and its text is far over a post's length.
MAX_HTML_CHARS = 1_000_000


def html_to_text(html: str) -> tuple[str, str]:
    """The text of an HTML body before its quoted history, and the text of
    that history."""
    parser = _TextParser()
    try:
        parser.feed(_defused(html[:MAX_HTML_CHARS]))
        parser.close()
    except (AssertionError, ValueError):
        # html.parser gives up on some malformed declarations; keep what
        # was read up to there.
        pass
    return parser.result()


def _defused(html):
    """HTML without comments and without an unterminated markup at its end.

    html.parser rescans the rest of the input for the end of an unclosed
    comment or tag once per character, which makes a few hundred kilobytes
    of "<!--" take hours; what follows such a construct is not text.
    """
    pieces = []
    position = 0
    while True:
        start = html.find("<!--", position)
        if start < 0:
            pieces.append(html[position:])
            break
        pieces.append(html[position:start])
        end = html.find("-->", start + 4)
        if end < 0:
            break
        position = end + 3
    html = "".join(pieces)
    last = html.rfind(">")
    if "<" in html[last + 1 :]:
        html = html[: last + 1] + html[last + 1 :].replace("<", "&lt;")
    return html


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = {False: _Lines(), True: _Lines()}
        self.quoted = False
        self.dropped = 0
        self.pre = 0
        self.lists = []  # "ul" or a counter for each open list
        self.links = []  # the href of each open <a>, and where its text begins

    @property
    def out(self):
        return self.parts[self.quoted]

    def result(self):
        return self.parts[False].text(), self.parts[True].text()

    def handle_starttag(self, tag, attrs):
        attributes = {name: (value or "") for name, value in attrs}
        if tag in _DROPPED:
            if tag not in _VOID:
                self.dropped += 1
            return
        if self.dropped:
            return
        if not self.quoted and self._starts_quote(tag, attributes):
            self.out.line_break()
            self.quoted = True
        if tag == "br":
            self.out.new_line()
        elif tag == "hr":
            self.out.paragraph()
        elif tag in ("ul", "ol"):
            if not self.lists:
                self.out.paragraph()
            else:
                self.out.line_break()
            self.lists.append("ul" if tag == "ul" else 0)
        elif tag == "li":
            self.out.line_break()
            indent = "  " * min(max(len(self.lists) - 1, 0), 4)
            if self.lists and self.lists[-1] != "ul":
                self.lists[-1] += 1
                self.out.write(f"{indent}{self.lists[-1]}. ", content=False)
            else:
                self.out.write(f"{indent}- ", content=False)
        elif tag in _PARAGRAPH:
            self.out.paragraph()
            if tag == "pre":
                self.pre += 1
        elif tag in _BLOCK:
            self.out.line_break()
        elif tag == "a":
            self.links.append((attributes.get("href", "").strip(), self.out.mark()))
        elif tag == "img" and attributes.get("alt", "").strip():
            self.out.write(attributes["alt"].strip())

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _DROPPED:
            self.dropped = max(self.dropped - 1, 0)
            return
        if self.dropped:
            return
        if tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            if self.lists:
                self.out.line_break()
            else:
                self.out.paragraph()
        elif tag in _PARAGRAPH:
            self.out.paragraph()
            if tag == "pre":
                self.pre = max(self.pre - 1, 0)
        elif tag in _BLOCK:
            self.out.line_break()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = self.out.since(start)
            if _shows_link(href, label):
                self.out.write(f" ({href})")

    def handle_data(self, data):
        if self.dropped:
            return
        if self.pre:
            for number, line in enumerate(data.split("\n")):
                if number:
                    self.out.new_line()
                self.out.write(line, verbatim=True)
        else:
            self.out.write(_SPACE.sub(" ", data))

    def _starts_quote(self, tag, attributes):
        if tag == "blockquote":
            return True
        if attributes.get("id", "").lower() in _QUOTE_IDS:
            return True
        classes = set(attributes.get("class", "").lower().split())
        return bool(classes & _QUOTE_CLASSES)


def _shows_link(href, label):
    """Whether "(url)" adds anything to a link's text."""
    if not href.lower().startswith(("http://", "https://")):
        return False
    label = label.strip()
    return bool(label) and label not in href and href not in label


class _Lines:
    """Text being written line by line; blank lines only where asked."""

    def __init__(self):
        self.lines = []
        self.current = []
        self.has_content = False

    def write(self, text, *, content=True, verbatim=False):
        if not self.current and content and not verbatim:
            # Source indentation at the start of a line is not text (but a
            # no-break space is: Outlook writes empty lines as &nbsp;).
            text = text.lstrip(" ")
            if not text:
                return
        self.current.append(text.replace("\xa0", " "))
        self.has_content = self.has_content or (content and bool(text))

    def mark(self):
        return len(self.lines), len(self.current)

    def since(self, start):
        lines, pieces = start
        if lines != len(self.lines):
            return ""
        return "".join(self.current[pieces:])

    def new_line(self):
        self.lines.append("".join(self.current).rstrip())
        self.current = []
        self.has_content = False

    def line_break(self):
        if self.current and (self.has_content or "".join(self.current).strip()):
            self.new_line()
        else:
            self.current = []

    def paragraph(self):
        self.line_break()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def text(self):
        self.line_break()
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
