"""Japanese mail encodings as real mail systems write and read them."""

import pytest

from members.common.japanese_mail import (
    can_send_as_jis,
    decode_text,
    jis_decode,
    jis_encode,
)

WINDOWS_TEXT = "①㈱髙Ⅱ～ 千代田区"
JIS = "iso-2022-jp(cp50220)"


def test_jis_round_trip_keeps_windows_characters():
    assert jis_decode(jis_encode(WINDOWS_TEXT)) == WINDOWS_TEXT


def test_jis_encoding_writes_nec_row_13_as_outlook_does():
    assert jis_encode("①") == b"\x1b$B-!\x1b(B"


def test_jis_encoding_makes_half_width_kana_full_width():
    assert jis_decode(jis_encode("ｶﾀｶﾅ")) == "カタカナ"


def test_emoji_cannot_be_sent_as_jis():
    assert can_send_as_jis("了解👍") is False


def test_jis_decoding_reads_half_width_kana_escape():
    assert jis_decode(b"\x1b(I12\x1b(B") == "ｱｲ"


def test_jis_decoding_reads_shift_out_kana():
    assert jis_decode(b"a\x0e12\x0fb") == "aｱｲb"


def test_strict_jis_decoding_refuses_8bit_bytes():
    with pytest.raises(ValueError):
        jis_decode(b"\x1b$B$3\xff")


def test_tolerant_jis_decoding_replaces_a_broken_escape():
    data = jis_encode("受援") + b"\x1b$Z" + jis_encode("計画")
    assert jis_decode(data, "replace") == "受援\ufffd計画"


def test_tolerant_jis_decoding_replaces_half_a_character():
    assert jis_decode(jis_encode("受援")[:-4], "replace") == "受\ufffd"


@pytest.mark.parametrize(
    ("data", "label", "expected"),
    [
        (jis_encode(WINDOWS_TEXT), "ISO-2022-JP", (WINDOWS_TEXT, JIS)),
        (WINDOWS_TEXT.encode("cp932"), "Shift_JIS", (WINDOWS_TEXT, "cp932")),
        (WINDOWS_TEXT.encode("cp932"), "windows-31j", (WINDOWS_TEXT, "cp932")),
        ("東京都".encode("euc_jp"), "EUC-JP", ("東京都", "euc_jp")),
        (WINDOWS_TEXT.encode(), "utf-8", (WINDOWS_TEXT, "utf-8")),
    ],
)
def test_labelled_text_decodes(data, label, expected):
    assert decode_text(data, label) == expected


def test_utf8_labelled_iso_2022_jp_decodes_as_utf8():
    assert decode_text("千代田区".encode(), "iso-2022-jp") == ("千代田区", "utf-8")


def test_shift_jis_labelled_iso_2022_jp_decodes_as_cp932():
    assert decode_text("髙橋".encode("cp932"), "iso-2022-jp") == ("髙橋", "cp932")


def test_unlabelled_jis_is_recognised_by_its_escapes():
    assert decode_text(jis_encode("受援計画"), None) == ("受援計画", JIS)


def test_broken_jis_is_read_as_jis_with_replacements():
    data = jis_encode("受援") + b"\x1b$Z" + jis_encode("計画")
    assert decode_text(data, "iso-2022-jp") == (
        "受援\ufffd計画",
        "iso-2022-jp(cp50220,replaced)",
    )


def test_unknown_label_falls_back_to_utf8():
    assert decode_text("千代田区".encode(), "x-unknown") == ("千代田区", "utf-8")


def test_unreadable_bytes_are_replaced_not_raised():
    text, decoder = decode_text(b"\xff\xfe\xfd\x80", "utf-8")
    assert decoder == "utf-8(replaced)" and "\ufffd" in text


@pytest.mark.parametrize("label", ["zlib", "base64", "rot13", "utf\x008"])
def test_label_that_is_no_text_encoding_falls_back(label):
    assert decode_text("千代田区".encode(), label) == ("千代田区", "utf-8")
