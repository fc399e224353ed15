"""Japanese mail encodings as real mail systems write and read them.

Mail labelled ISO-2022-JP often holds Windows characters (①, ㈱, Ⅱ: NEC
row 13 and the IBM extensions), which Python's iso2022_jp codecs refuse
and the email package turns into U+FFFD; mail labelled Shift_JIS is
usually Windows-31J (cp932). So reading goes through cp932: JIS pairs are
turned into Shift_JIS bytes and decoded as cp932, which is what Outlook
does (Microsoft's CP50220). Writing ISO-2022-JP goes the same way back,
so ① and 髙 (NEC's selection of IBM extensions) go as Outlook writes them;
a character outside Windows-31J (an emoji, 𠮷) cannot be sent so, and the
caller sends that mail as UTF-8 instead.
"""

import codecs
import unicodedata

ESC = 0x1B

# Labels that mean Windows-31J in practice.
_CP932_LABELS = {
    "shift_jis",
    "shift-jis",
    "sjis",
    "x-sjis",
    "s-jis",
    "ms_kanji",
    "csshiftjis",
    "windows-31j",
    "cp932",
    "ms932",
    "x-ms-cp932",
}
_JIS_LABELS = {
    "iso-2022-jp",
    "iso2022jp",
    "iso-2022-jp-1",
    "iso-2022-jp-2",
    "iso-2022-jp-3",
    "iso-2022-jp-2004",
    "iso-2022-jp-ms",
    "cp50220",
    "cp50221",
    "cp50222",
    "csiso2022jp",
    "jis",
}
_EUC_LABELS = {"euc-jp", "euc_jp", "x-euc-jp", "cseucpkdfmtjapanese", "eucjp-ms"}

# Characters that Macs and UTF-8 systems write where Windows has a
# look-alike of its own; cp932 knows only the Windows one.
_TO_WINDOWS = str.maketrans(
    {
        "\u301c": "\uff5e",  # 〜 WAVE DASH → ～
        "\u2016": "\u2225",  # ‖ → ∥
        "\u2212": "\uff0d",  # − MINUS SIGN → －
        "\u00a2": "\uffe0",  # ¢
        "\u00a3": "\uffe1",  # £
        "\u00ac": "\uffe2",  # ¬
        "\u2014": "\u2015",  # — EM DASH → ―
    }
)


def _codec(charset):
    """The codec for a label, if it is a text encoding (not "zlib")."""
    try:
        name = codecs.lookup(charset).name
        b"".decode(name)
    except (LookupError, ValueError):
        return None
    return name


def decode_text(data: bytes, charset: str | None) -> tuple[str, str]:
    """The text of a mail part, and the name of the decoder that read it.

    The label is tried first, read the way Japanese mail systems mean it;
    then UTF-8, cp932 and EUC-JP; last, the label (or UTF-8) replacing what
    cannot be read, so that a mail is never lost for one bad byte.
    """
    label = (charset or "").strip().strip('"').lower()
    tries = []
    if label in _JIS_LABELS:
        tries.append("iso-2022-jp")
    elif label in _CP932_LABELS:
        tries.append("cp932")
    elif label in _EUC_LABELS:
        tries.append("euc_jp")
    elif label and _codec(label) and label not in {"us-ascii", "ascii"}:
        tries.append(_codec(label))
    if ESC in data and "iso-2022-jp" not in tries:
        tries.append("iso-2022-jp")
    tries += [name for name in ("utf-8", "cp932", "euc_jp") if name not in tries]
    if "iso-2022-jp" in tries and data.isascii():
        # 7-bit bytes with escape sequences are JIS even when one is broken;
        # read as ASCII they would come out as "$B$3$s" noise.
        tries.insert(tries.index("iso-2022-jp") + 1, "iso-2022-jp(replaced)")
    for position, name in enumerate(tries):
        try:
            if name == "iso-2022-jp":
                return jis_decode(data), "iso-2022-jp(cp50220)"
            if name == "iso-2022-jp(replaced)":
                return jis_decode(data, "replace"), "iso-2022-jp(cp50220,replaced)"
            text = data.decode(name)
        except (LookupError, ValueError):
            continue
        # cp932 reads almost any bytes; a guess that yields private-use
        # characters was the wrong guess.
        if position > 0 and any("\ue000" <= char <= "\uf8ff" for char in text):
            continue
        return text, name
    fallback = tries[0] if tries[0] != "iso-2022-jp" else "utf-8"
    return data.decode(fallback, errors="replace"), f"{fallback}(replaced)"


def jis_decode(data: bytes, errors: str = "strict") -> str:
    """Decode ISO-2022-JP as Windows writes it (CP50220), through cp932.

    With errors="strict", raises ValueError for bytes that are not
    ISO-2022-JP at all; with errors="replace", what cannot be read becomes
    U+FFFD (a broken escape sequence, an 8-bit byte, half a character).
    """
    strict = errors == "strict"
    out = bytearray()
    chunks = []  # text read before each replaced place
    mode = "ascii"
    shifted_from = None  # the mode before SO (0x0E) shifted to kana
    i = 0
    length = len(data)

    def fail(reason):
        if strict:
            raise ValueError(reason)
        chunks.append(out.decode("cp932", "replace") + "\ufffd")
        out.clear()

    while i < length:
        byte = data[i]
        if byte == ESC:
            sequence = data[i + 1 : i + 3]
            if sequence in (b"(B", b"(J"):
                mode = "ascii"
            elif sequence in (b"$@", b"$B"):
                mode = "kanji"
            elif sequence == b"(I":
                mode = "kana"
            elif data[i + 1 : i + 4] == b"$(D":
                fail("JIS X 0212 is not read")
                mode = "skip"
                i += 4
                continue
            else:
                fail(f"unknown escape sequence at {i}")
                i += 3
                continue
            i += 3
            continue
        if byte == 0x0E and mode != "kana":
            # SO/SI half-width kana, as CP50222 writes them.
            shifted_from, mode = mode, "kana"
            i += 1
            continue
        if byte == 0x0F and shifted_from is not None:
            mode, shifted_from = shifted_from, None
            i += 1
            continue
        if byte >= 0x80:
            fail(f"8-bit byte at {i}")
            i += 1
            continue
        if byte in (0x0A, 0x0D):
            # A line end returns to ASCII (RFC 1468); some writers omit ESC ( B.
            mode = "ascii" if mode != "kanji" else mode
            out.append(byte)
            i += 1
            continue
        if mode == "ascii":
            out.append(byte)
            i += 1
        elif mode == "kana":
            out.append(byte + 0x80)
            i += 1
        elif mode == "skip":
            i += 1
        else:
            if i + 1 >= length:
                fail("half a JIS character at the end")
                break
            try:
                out += _jis_to_sjis(byte, data[i + 1])
            except ValueError:
                if strict:
                    raise
                fail("not a JIS character")
            i += 2
    return "".join(chunks) + out.decode("cp932", errors)


def _jis_to_sjis(c1, c2):
    if not (0x21 <= c1 <= 0x7E and 0x21 <= c2 <= 0x7E):
        raise ValueError("not a JIS character")
    s1 = ((c1 + 1) >> 1) + (0x70 if c1 <= 0x5E else 0xB0)
    # Odd rows take the low half of the second byte's range, even rows the high.
    s2 = c2 + ((0x1F if c2 <= 0x5F else 0x20) if c1 & 1 else 0x7E)
    return bytes((s1, s2))


def _sjis_to_jis(s1, s2):
    if 0x81 <= s1 <= 0x9F:
        c1 = (s1 - 0x70) * 2 - 1
    elif 0xE0 <= s1 <= 0xEF:
        c1 = (s1 - 0xB0) * 2 - 1
    else:
        return None
    if s2 >= 0x9F:
        c1 += 1
        c2 = s2 - 0x7E
    else:
        c2 = s2 - (0x20 if s2 >= 0x80 else 0x1F)
    if not (0x21 <= c1 <= 0x7E and 0x21 <= c2 <= 0x7E):
        return None
    return bytes((c1, c2))


def _halfwidth_kana_to_full(text):
    return "".join(
        unicodedata.normalize("NFKC", char) if "\uff61" <= char <= "\uff9f" else char
        for char in text
    )


def jis_encode(text: str) -> bytes:
    """Encode text as ISO-2022-JP the way Outlook reads it (CP50220).

    Half-width katakana become full-width (plain ISO-2022-JP has none);
    NEC row 13 (①, ㈱) and NEC-selected IBM extensions (髙) are written
    with the codes Windows gives them. Raises UnicodeEncodeError for a
    character outside Windows-31J (emoji, 𠮷): send that mail as UTF-8.
    """
    text = _halfwidth_kana_to_full(text).translate(_TO_WINDOWS)
    out = bytearray()
    kanji = False
    for position, char in enumerate(text):
        if char in "\r\n" or ord(char) < 0x80:
            if kanji:
                out += b"\x1b(B"
                kanji = False
            out += char.encode("ascii")
            continue
        try:
            sjis = char.encode("cp932")
        except UnicodeEncodeError as error:
            raise UnicodeEncodeError(
                "iso-2022-jp", text, position, position + 1, error.reason
            ) from None
        jis = _sjis_to_jis(*sjis) if len(sjis) == 2 else None
        if jis is None:
            raise UnicodeEncodeError(
                "iso-2022-jp", text, position, position + 1, "no JIS code"
            )
        if not kanji:
            out += b"\x1b$B"
            kanji = True
        out += jis
    if kanji:
        out += b"\x1b(B"
    return bytes(out)


def can_send_as_jis(text: str) -> bool:
    """Whether every character of a text has an ISO-2022-JP (CP50220) code."""
    try:
        jis_encode(text)
    except UnicodeEncodeError:
        return False
    return True
