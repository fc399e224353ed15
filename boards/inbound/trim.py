"""Taking quoted history and signatures off a reply.

Everything taken off is an end of the text, cut in this order:
1. at the first quote header (the lines a mailer writes above what it
   quotes: Outlook's 差出人/送信日時 or From/Sent block, 32 underscores,
   "-----Original Message-----" and the forward rules, "On … wrote:"
   also wrapped over two lines, 「さんは書きました:」, Gmail's
   「2024年5月1日(水) 10:00 NAME <addr>:」, iPhone's 「…、NAME のメール:」);
2. after a line 「以上」 (or 「以上、よろしくお願いいたします。」), which ends
   a Japanese business mail: the line stays;
3. then, repeatedly from the end: blank lines, a trailing block of ">"
   quoted lines (with an attribution line just above it), a signature
   ("-- " and what follows; or a rule of 4 or more = - * _ ~ + # ー ─ ━ ＝
   ＊ ※ ☆ ★ ◆ ■ followed by at most 12 short lines that look like a
   signature: organisation, 〒, TEL, 内線, e-mail, URL), "Sent from my
   iPhone" and its Japanese forms.

Quoted lines between new paragraphs are kept: a member answering point by
point needs the question next to each answer, and the post would not make
sense without it.

If that leaves nothing (the mailer put its quote header on top, as in a
reply written below the quote or a bare forward), the text is read again
with only what is certain taken off: the quote header lines, the quoted
lines at the start and at the end, and the signature; if even that leaves
nothing, the whole text is returned.
"""

import re

_LABEL_FROM = r"(?:差出人|送信者|発信者|送信元|From)"
_LABEL_OTHER = r"(?:送信日時|送信日|日時|日付|件名|宛先|Sent|Date|Subject|To|Cc)"


def _label(names):
    # 差出人: / *差出人:* / **From:** / 【差出人】 / 差出人：
    return re.compile(
        r"^[\s*_]*(?:【\s*"
        + names
        + r"\s*】\s*[:：]?|\[\s*"
        + names
        + r"\s*\]\s*[:：]?|"
        + names
        + r"\s*[*_]*\s*[:：])",
        re.IGNORECASE,
    )


_FROM_LABEL = _label(_LABEL_FROM)
_OTHER_LABEL = _label(_LABEL_OTHER)
_UNDERSCORES = re.compile(r"^\s*_{30,}\s*$")
_SEPARATOR = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\s+message|forwarded\s+message|forwarded\s+by.*
          |転送メッセージ|メッセージを転送|元のメッセージ|転送されたメッセージ
          |転送\s*メール|返信元メッセージ)\s*-{2,}
      | (?:begin\s+forwarded\s+message|転送されたメッセージ|転送メッセージ)\s*[:：]
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WROTE = re.compile(r"(?:\bwrote|書きました|書き込みました)\s*[:：]\s*$", re.IGNORECASE)
_ON_DATE = re.compile(r"^\s*On\s+\S.*\d", re.IGNORECASE)
# Gmail ja: 2024年5月1日(水) 10:00 山田太郎 <taro@example.jp>:
_GMAIL_JA = re.compile(r"^\s*\d{4}年\s*\d{1,2}月\s*\d{1,2}日.*\d{1,2}:\d{2}")
# iPhone and other ja clients: 2024/05/01 10:00、山田 のメッセージ: / のメール:
_JA_MESSAGE = re.compile(r"(?:のメッセージ|のメール)\s*[:：]\s*$")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_QUOTED = re.compile(r"^\s*[>＞]")
_CLOSING = re.compile(
    r"^\s*以上(?:です|となります|になります)?\s*"
    r"(?:[、。，,．.]\s*.{0,40})?$"
)
_RULE_CHARS = "=\\-*_~+#ー─━＝＊※☆★◆◇■□―－＿～＋＃═"
_RULE = re.compile(r"^\s*(?:[" + _RULE_CHARS + r"]\s*){4,}$")
_SIGN_DASHES = re.compile(r"^--\s?$")
_SENT_FROM = re.compile(
    r"^\s*(?:sent\s+from\s+(?:my\s+)?\S.{0,40}|get\s+outlook\s+for\s+\S+"
    r"|outlook\s+for\s+\S+\s*を入手"
    r"|\S{0,20}(?:iPhone|iPad|Android|スマートフォン|スマホ|携帯|Galaxy|Xperia"
    r"|AQUOS|Pixel|Outlook|Mail|メール)\S{0,20}\s*から送信)\s*$",
    re.IGNORECASE,
)
# What a signature line shows: contact details, or an organisation.
_CONTACT = re.compile(
    r"〒|\bTEL\b|\bFAX\b|電話|内線|携帯|E-?mail|メール|@|https?://|www\.",
    re.IGNORECASE,
)
_ORGANISATION = re.compile(
    r"(?:課|係|部|局|室|班|区役所|市役所|町役場|村役場|役所|役場|センター|事務所"
    r"|株式会社|㈱|\(株\)|（株）)(?:\s|$|[（(])"
)
_SENTENCE_END = re.compile(r"[。！？!?]\s*$")
MAX_SIGNATURE_LINES = 12
# Each step at the end uncovers the next (a quote below a signature below
# a "Sent from"); real mail needs a handful, and the cap keeps a text of
# a million rules from costing a million steps.
MAX_TRIM_STEPS = 50
# Below a "-- " line, more lines than this are not a signature.
MAX_DASHED_LINES = 20


def trim_reply(text: str) -> tuple[str, str]:
    """The new text of a reply, and what was taken off it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header = _quote_header(lines)
    end = header[0] if header else len(lines)
    end = _closing_end(lines, end)
    end = _trim_end(lines, end)
    kept = _join(lines[:end])
    if kept:
        return kept, _join(lines[end:])
    return _fallback(lines, header)


def _join(lines):
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _quote_header(lines):
    """(first, last + 1) of the first quote header's lines, or None."""
    for index, line in enumerate(lines):
        if not line.strip() or _QUOTED.match(line):
            continue
        found = _header_at(lines, index)
        if found:
            return index, found
    return None


def _header_at(lines, index):
    """Where the quote header starting at lines[index] ends, or 0."""
    line = lines[index]
    following = [
        (number, lines[number])
        for number in range(index + 1, min(index + 12, len(lines)))
        if lines[number].strip()
    ][:6]
    if _SEPARATOR.match(line):
        return index + 1
    if _UNDERSCORES.match(line):
        if following and _FROM_LABEL.match(following[0][1]):
            return _header_at(lines, following[0][0]) or following[0][0] + 1
        return 0
    if _FROM_LABEL.match(line):
        others = [number for number, text in following if _OTHER_LABEL.match(text)]
        # Labels come one after the other; From with one more label at least.
        if others:
            return others[-1] + 1 if len(others) > 1 else others[0] + 1
        return 0
    if _WROTE.search(line) and (
        _ON_DATE.match(line)
        or "@" in line
        or _TIME.search(line)
        or _next_is_quoted(lines, index)
    ):
        return index + 1
    next_line = lines[index + 1] if index + 1 < len(lines) else ""
    # Becky! and Thunderbird wrap: "On Wed, 20 Feb 2002 17:12:21 -0800"
    # then "NAME <addr> wrote:".
    if _ON_DATE.match(line) and _WROTE.search(next_line):
        return index + 2
    if _GMAIL_JA.match(line):
        if re.search(r"[:：]\s*$", line) and "@" in line:
            return index + 1
        if re.search(r"[:：]\s*$", next_line) and "@" in line + next_line:
            return index + 2
    if _JA_MESSAGE.search(line) and ("@" in line or _TIME.search(line)):
        return index + 1
    return 0


def _next_is_quoted(lines, index):
    for line in lines[index + 1 : index + 4]:
        if line.strip():
            return bool(_QUOTED.match(line))
    return False


def _closing_end(lines, end):
    """The end of the text after a closing 「以上」 line."""
    for index in range(end):
        if _CLOSING.match(lines[index]) and not _QUOTED.match(lines[index]):
            return index + 1
    return end


def _trim_end(lines, end, start=0):
    """The end of the text once blank lines, a trailing quote block and a
    signature are taken off its end, as often as one uncovers another (but
    one signature only: a rule above it may be the writer's own)."""
    signed = False
    for _step in range(MAX_TRIM_STEPS):
        before = end
        # Blank lines, and rules left alone at the end (the closing rule of a
        # signature, or of a block already cut).
        while end > start and (
            not lines[end - 1].strip() or _RULE.match(lines[end - 1])
        ):
            end -= 1
        end = _without_trailing_quote(lines, start, end)
        if not signed:
            unsigned = _without_signature(lines, start, end)
            signed, end = unsigned != end, unsigned
        if end > start and _SENT_FROM.match(lines[end - 1]):
            end -= 1
        if end == before:
            break
    return end


def _without_trailing_quote(lines, start, end):
    if end <= start or not _QUOTED.match(lines[end - 1]):
        return end
    while end > start and (_QUOTED.match(lines[end - 1]) or not lines[end - 1].strip()):
        end -= 1
    # An attribution line the header patterns did not know: "NAME <addr>:".
    if end > start:
        line = lines[end - 1].rstrip()
        if line.endswith((":", "：")) and ("@" in line or _TIME.search(line)):
            end -= 1
    return end


def _without_signature(lines, start, end):
    """Where a signature at the end begins, or ``end``. Only the last few
    lines are looked at, so a long text costs no more than a short one."""
    dashes, rule, seen = None, None, 0
    for index in range(end - 1, start - 1, -1):
        line = lines[index]
        if _SIGN_DASHES.match(line):
            dashes = index
        elif (
            # The rule nearest the end with a signature below it: the
            # opening rule when the signature is framed by two.
            rule is None and _RULE.match(line) and _is_signature(lines[index + 1 : end])
        ):
            rule = index
        if line.strip():
            seen += 1
            if seen > MAX_DASHED_LINES:
                break
    if dashes is not None:
        return dashes
    return end if rule is None else rule


def _is_signature(block):
    lines = [line.strip() for line in block if line.strip() and not _RULE.match(line)]
    if not lines or len(lines) > MAX_SIGNATURE_LINES:
        return False
    contact = sum(1 for line in lines if _CONTACT.search(line))
    organisation = sum(
        1
        for line in lines
        if len(line) <= 40
        and not _SENTENCE_END.search(line)
        and _ORGANISATION.search(line + " ")
    )
    sentences = sum(
        1 for line in lines if _SENTENCE_END.search(line) and not _CONTACT.search(line)
    )
    return (
        contact + organisation > 0
        and sentences <= 1
        and all(len(line) <= 80 for line in lines)
    )


def _fallback(lines, header):
    """The text with only the certain parts taken off (see the module doc)."""
    keep = list(range(len(lines)))
    if header:
        keep = [number for number in keep if not header[0] <= number < header[1]]
    remaining = [lines[number] for number in keep]
    # Quoted lines at the start: a reply written below the quote.
    start = 0
    while start < len(remaining) and (
        _QUOTED.match(remaining[start]) or not remaining[start].strip()
    ):
        start += 1
    end = _trim_end(remaining, len(remaining), start)
    if any(_QUOTED.match(line) for line in remaining[start:end]):
        # Answers between quotes: the first quote is a question too.
        start = 0
    kept = _join(remaining[start:end])
    if kept:
        shown = set(keep[start:end])
        elided = [line for number, line in enumerate(lines) if number not in shown]
        return kept, _join(elided)
    return _join(lines), ""
