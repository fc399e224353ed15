"""Reading received mail: headers, bodies, attachments, automatic mail."""

import base64
import hashlib
import os

import pytest

from boards.inbound.parse import MAX_BODY_BYTES, parse_mail, unflow
from members.common.japanese_mail import jis_encode
from tests.boards.mails import (
    ATTACHMENT_NAME,
    EXPECTED,
    NAMES,
    attachment_pdf,
    load,
)

POSTED = sorted(EXPECTED)
AUTOMATIC = ["auto_reply_ja", "auto_reply_precedence"]
NOTIFICATION_ID = "thread-42.post-118.7f3a9c@renkei.localhost"
QUOTED_LINE = "各区の受援計画の改定状況を共有します。"


def mail(headers="", body=b"", content_type="text/plain; charset=utf-8"):
    """A small message: extra header lines, then the body bytes."""
    head = (
        "From: Taro <taro@city.nanao.lg.jp>\r\n"
        "To: reply+key-sig@renkei.localhost\r\n"
        "Message-ID: <m1@city.nanao.lg.jp>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
        + "".join(f"{line}\r\n" for line in headers.splitlines() if line)
    )
    return head.encode() + b"\r\n" + body


def b64_word(text, charset="UTF-8", data=None):
    data = data if data is not None else text.encode(charset)
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def multipart(subtype, *parts, boundary="b0undary"):
    """A multipart body: each part is (header lines, body bytes)."""
    out = b"preamble\r\n"
    for headers, body in parts:
        out += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f'multipart/{subtype}; boundary="{boundary}"', out


# ----- every fixture -----


def test_every_fixture_is_named_in_the_tests():
    assert sorted(POSTED + AUTOMATIC + ["bounce_dsn"]) == NAMES


@pytest.mark.parametrize("name", POSTED)
def test_fixture_text_is_exactly_the_new_text(name):
    assert parse_mail(load(name)).text == EXPECTED[name]


@pytest.mark.parametrize("name", POSTED)
def test_fixture_quote_is_kept_in_elided(name):
    # forwarded_chain quotes a forward from the prefecture, not the notice.
    line = QUOTED_LINE
    if name == "forwarded_chain":
        line = "受援計画の様式を改めましたので"
    assert line in parse_mail(load(name)).elided


@pytest.mark.parametrize("name", POSTED)
def test_fixture_is_neither_automatic_nor_bounce(name):
    parsed = parse_mail(load(name))
    assert (parsed.auto_reply, parsed.bounce) == ("", None)


@pytest.mark.parametrize(
    ("name", "charset"),
    [
        ("outlook_ja", "iso-2022-jp(cp50220)"),
        ("becky", "iso-2022-jp(cp50220)"),
        ("keyword_interest", "iso-2022-jp(cp50220)"),
        ("tnef", "iso-2022-jp(cp50220)"),
        ("shift_jis", "cp932"),
        ("attachment_pdf", "cp932"),
        ("outlook_en_labels", "utf-8"),
        ("outlook365_html_only", "utf-8"),
        ("thunderbird_ja", "utf-8"),
        ("gmail_ja", "utf-8"),
        ("iphone_ja", "utf-8"),
        ("qp_utf8", "utf-8"),
        ("forwarded_chain", "utf-8"),
        ("header_injection", "utf-8"),
    ],
)
def test_fixture_records_the_decoder_of_its_body(name, charset):
    assert parse_mail(load(name)).charset == charset


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("outlook_ja", "RE: [Renkei] 災害時の応援職員派遣について"),
        ("shift_jis", "Re: [Renkei] 災害時の応援職員派遣について"),
        ("qp_utf8", "Re: [Renkei] 災害時の応援職員派遣について"),
        ("thunderbird_ja", "Re: [Renkei] 災害時の応援職員派遣について"),
        ("auto_reply_ja", "自動応答: [Renkei] 災害時の応援職員派遣について"),
        ("bounce_dsn", "Undelivered Mail Returned to Sender"),
    ],
)
def test_fixture_subject_decodes(name, subject):
    assert parse_mail(load(name)).subject == subject


@pytest.mark.parametrize(
    ("name", "from_name"),
    [("outlook_ja", "田中 太郎"), ("shift_jis", "髙橋 一郎"), ("gmail_ja", "田中太郎")],
)
def test_fixture_sender_name_decodes(name, from_name):
    assert parse_mail(load(name)).from_name == from_name


@pytest.mark.parametrize("name", NAMES)
def test_fixture_sender_address_is_lower_case(name):
    sender = "Taro.Tanaka@City.Nanao.LG.JP"
    expected = "mailer-daemon@mx.renkei.localhost" if name == "bounce_dsn" else None
    parsed = parse_mail(load(name, sender=sender))
    assert parsed.from_address == (expected or sender.lower())


@pytest.mark.parametrize("name", NAMES)
def test_fixture_message_id_is_read_without_brackets(name):
    assert parse_mail(load(name, message_id="abc.123@example.jp")).message_id == (
        "abc.123@example.jp"
    )


@pytest.mark.parametrize("name", ["outlook_ja", "becky", "gmail_ja"])
def test_fixture_answers_the_notification_first(name):
    assert parse_mail(load(name)).in_reply_to[0] == NOTIFICATION_ID


def test_references_follow_in_reply_to_newest_first():
    parsed = parse_mail(
        mail("In-Reply-To: <c@x>\r\nReferences: <a@x> <b@x>\r\n <c@x>", b"hi")
    )
    assert parsed.in_reply_to == ["c@x", "b@x", "a@x"]


def test_a_mail_without_message_id_gets_a_digest_of_its_bytes():
    raw = mail(body=b"hello").replace(b"Message-ID: <m1@city.nanao.lg.jp>\r\n", b"")
    assert parse_mail(raw).message_id == "sha256:" + hashlib.sha256(raw).hexdigest()


# ----- headers -----


def test_header_injection_subject_is_one_harmless_line():
    subject = parse_mail(load("header_injection")).subject
    assert subject == "Re: [Renkei] 会議の件 Bcc: victim@example.com X-Injected: yes"


def test_header_injection_sender_name_is_one_line():
    assert parse_mail(load("header_injection")).from_name == (
        "田中 Bcc: victim@example.com"
    )


def test_header_injection_does_not_change_the_sender_address():
    assert parse_mail(load("header_injection")).from_address == "taro@city.nanao.lg.jp"


def test_subject_control_and_separator_characters_become_spaces():
    word = b64_word("件名\u2028改行\x00NUL\t\u202eタブ")
    assert parse_mail(mail(f"Subject: {word}")).subject == "件名 改行 NUL タブ"


def test_subject_keeps_full_width_spaces():
    word = b64_word("【ご案内】　研修について")
    assert parse_mail(mail(f"Subject: {word}")).subject == "【ご案内】　研修について"


def test_iso_2022_jp_subject_with_windows_characters_decodes():
    word = b64_word("", "ISO-2022-JP", jis_encode("①㈱髙の件"))
    assert parse_mail(mail(f"Subject: Re: {word}")).subject == "Re: ①㈱髙の件"


def test_utf8_character_split_across_encoded_words_decodes():
    data = "受援計画".encode()
    words = f"{b64_word('', data=data[:4])}\r\n {b64_word('', data=data[4:])}"
    assert parse_mail(mail(f"Subject: {words}")).subject == "受援計画"


def test_quoted_printable_encoded_word_decodes():
    assert parse_mail(mail("Subject: =?utf-8?Q?=E4=BB=B6_name?=")).subject == "件 name"


def test_raw_shift_jis_subject_decodes():
    raw = mail("Subject: XX").replace(b"XX", "髙橋の件".encode("cp932"))
    assert parse_mail(raw).subject == "髙橋の件"


def test_subject_is_cut_to_255_characters():
    assert len(parse_mail(mail("Subject: " + "あ" * 400)).subject) == 255


def test_unreadable_sender_gives_an_empty_address():
    raw = mail().replace(b"Taro <taro@city.nanao.lg.jp>", b"<<<not an address")
    assert parse_mail(raw).from_address == ""


# ----- bodies -----


def test_multipart_alternative_prefers_the_text_part():
    content_type, body = multipart(
        "alternative",
        ("Content-Type: text/plain; charset=utf-8", "テキスト".encode()),
        ("Content-Type: text/html; charset=utf-8", "<p>HTML版</p>".encode()),
    )
    assert parse_mail(mail(body=body, content_type=content_type)).text == "テキスト"


def test_euc_jp_body_decodes():
    body = "東京都".encode("euc_jp")
    raw = mail(body=body, content_type="text/plain; charset=EUC-JP")
    parsed = parse_mail(raw)
    assert (parsed.text, parsed.charset) == ("東京都", "euc_jp")


def test_utf8_body_labelled_iso_2022_jp_decodes():
    raw = mail(body="千代田区".encode(), content_type="text/plain; charset=iso-2022-jp")
    assert parse_mail(raw).text == "千代田区"


def test_body_with_an_unknown_charset_label_decodes():
    raw = mail(body="千代田区".encode(), content_type="text/plain; charset=x-nonsense")
    assert parse_mail(raw).text == "千代田区"


def test_line_ends_become_newlines():
    raw = mail(body=b"one\r\ntwo\rthree\nfour")
    assert parse_mail(raw).text == "one\ntwo\nthree\nfour"


def test_text_parts_around_an_inline_image_are_joined():
    content_type, body = multipart(
        "mixed",
        ("Content-Type: text/plain; charset=utf-8", "前半".encode()),
        ("Content-Type: image/png\r\nContent-Disposition: inline", b"\x89PNG"),
        ("Content-Type: text/plain; charset=utf-8", "後半".encode()),
    )
    assert parse_mail(mail(body=body, content_type=content_type)).text == "前半\n\n後半"


def test_format_flowed_body_is_unflowed():
    raw = mail(
        body=b"one \r\ntwo\r\n\r\n> q1 \r\n> q2\r\n",
        content_type="text/plain; charset=utf-8; format=flowed",
    )
    assert parse_mail(raw).text == "one two"


def test_unflow_joins_soft_breaks_at_one_quote_depth():
    assert unflow("a \nb\n> c \n> d\n>> e") == "a b\n> c d\n>> e"


def test_unflow_with_delsp_drops_the_soft_break_space():
    assert unflow("受援 \n計画", delsp=True) == "受援計画"


def test_unflow_removes_space_stuffing():
    assert unflow("  indented\n >From") == " indented\n>From"


def test_unflow_keeps_the_signature_separator():
    assert unflow("text\n-- \nname") == "text\n-- \nname"


# ----- HTML bodies -----


def html_mail(html):
    return mail(body=html.encode(), content_type="text/html; charset=utf-8")


@pytest.mark.parametrize(
    "quote",
    [
        '<div id="divRplyFwdMsg"><b>差出人:</b> Renkei</div><div>QUOTED</div>',
        '<div id="appendonsend"></div><hr><div>QUOTED</div>',
        '<div class="moz-cite-prefix">On 2026/12/07 9:12, R wrote:</div>'
        '<blockquote type="cite">QUOTED</blockquote>',
        '<div class="gmail_quote"><div class="gmail_attr">2026年12月7日 R:</div>'
        "<blockquote>QUOTED</blockquote></div>",
        "<blockquote>QUOTED</blockquote>",
    ],
)
def test_html_quote_markers_cut_the_history(quote):
    parsed = parse_mail(html_mail(f"<div>新しい本文</div>{quote}"))
    assert (parsed.text, "QUOTED" in parsed.elided) == ("新しい本文", True)


def test_html_scripts_and_styles_are_dropped():
    html = "<style>p{color:red}</style><script>alert(1)</script><p>本文</p>"
    assert parse_mail(html_mail(html)).text == "本文"


def test_html_links_show_their_address():
    html = '<p>計画は<a href="https://example.jp/a">こちら</a>です</p>'
    assert parse_mail(html_mail(html)).text == "計画はこちら (https://example.jp/a)です"


def test_html_link_whose_text_is_the_address_shows_it_once():
    html = '<p><a href="https://example.jp/a">https://example.jp/a</a></p>'
    assert parse_mail(html_mail(html)).text == "https://example.jp/a"


def test_html_line_breaks_and_paragraphs_become_lines():
    html = "<p>一行目<br>二行目</p><p>三行目</p><div><br></div><div>五行目</div>"
    assert parse_mail(html_mail(html)).text == "一行目\n二行目\n三行目\n\n五行目"


def test_html_ordered_list_is_numbered():
    html = "<p>次のとおり</p><ol><li>一</li><li>二</li></ol><p>以上</p>"
    assert parse_mail(html_mail(html)).text == "次のとおり\n\n1. 一\n2. 二\n\n以上"


def test_html_entities_decode():
    assert parse_mail(html_mail("<p>A &amp; B &lt;C&gt;&nbsp;D</p>")).text == (
        "A & B <C> D"
    )


def test_html_comments_are_not_text():
    assert parse_mail(html_mail("<p>本文<!-- 下書き --></p>")).text == "本文"


def test_html_flood_of_unterminated_comments_is_not_text():
    assert parse_mail(html_mail("<p>本文</p>" + "<!--" * 200_000)).text == "本文"


def test_html_unterminated_tag_at_the_end_is_text():
    assert parse_mail(html_mail("<p>a < b</p><a href=")).text == "a < b\n<a href="


def test_html_charset_is_read_from_meta_when_the_header_has_none():
    raw = mail(
        body='<meta charset="shift_jis"><p>髙橋</p>'.encode("cp932"),
        content_type="text/html",
    )
    assert parse_mail(raw).text == "髙橋"


# ----- attachments -----


def test_pdf_attachment_keeps_its_shift_jis_name():
    (attachment,) = parse_mail(load("attachment_pdf")).attachments
    assert attachment.name == ATTACHMENT_NAME


def test_pdf_attachment_keeps_its_bytes_and_type():
    (attachment,) = parse_mail(load("attachment_pdf")).attachments
    assert (attachment.content_type, attachment.data) == (
        "application/pdf",
        attachment_pdf(),
    )


def attached(disposition, content_type="application/pdf", data=b"%PDF-1.7"):
    body_type, body = multipart(
        "mixed",
        ("Content-Type: text/plain; charset=utf-8", "本文".encode()),
        (
            f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
            "Content-Transfer-Encoding: base64",
            base64.encodebytes(data),
        ),
    )
    return parse_mail(mail(body=body, content_type=body_type))


@pytest.mark.parametrize(
    "disposition",
    [
        "attachment; filename*=UTF-8''%E8%A8%88%E7%94%BB.pdf",
        "attachment; filename*=ISO-2022-JP''%1B%24B7W2h%1B%28B.pdf",
        "attachment; filename*0*=UTF-8''%E8%A8%88; filename*1*=%E7%94%BB.pdf",
        'attachment; filename="=?UTF-8?B?6KiI55S7LnBkZg==?="',
        f'attachment; filename="{b64_word("", "ISO-2022-JP", jis_encode("計画.pdf"))}"',
    ],
)
def test_attachment_name_decodes(disposition):
    (attachment,) = attached(disposition).attachments
    assert attachment.name == "計画.pdf"


def test_inline_part_with_a_filename_is_an_attachment():
    (attachment,) = attached('inline; filename="photo.jpg"', "image/jpeg").attachments
    assert (attachment.name, attachment.content_type) == ("photo.jpg", "image/jpeg")


def test_text_part_marked_attachment_is_not_the_body():
    parsed = attached('attachment; filename="memo.txt"', "text/plain", b"memo")
    assert (parsed.text, [a.name for a in parsed.attachments]) == ("本文", ["memo.txt"])


def test_attachment_name_loses_its_path():
    (attachment,) = attached('attachment; filename="..\\\\..\\\\evil.pdf"').attachments
    assert attachment.name == "evil.pdf"


def test_tnef_part_is_not_an_attachment():
    assert parse_mail(load("tnef")).attachments == []


def test_tnef_part_is_reported():
    assert parse_mail(load("tnef")).problems == ["tnef"]


def test_attached_mail_is_not_posted_and_is_reported():
    body_type, body = multipart(
        "mixed",
        ("Content-Type: text/plain; charset=utf-8", "転送します".encode()),
        ("Content-Type: message/rfc822", b"From: a@b\r\nSubject: old\r\n\r\nold text"),
    )
    parsed = parse_mail(mail(body=body, content_type=body_type))
    assert (parsed.attachments, parsed.problems) == ([], ["attached_message"])


def test_ten_megabyte_attachment_comes_out_whole():
    data = os.urandom(10 * 1024 * 1024)
    (attachment,) = attached('attachment; filename="big.bin"', data=data).attachments
    assert attachment.data == data


def test_twenty_five_megabyte_mail_is_read():
    line = "長い本文の行です。" * 8 + "\n"
    text = (line * (25 * 1024 * 1024 // len(line.encode()))).encode()
    parsed = parse_mail(mail(body=text))
    assert len(parsed.text.encode()) <= MAX_BODY_BYTES
    assert parsed.text.startswith("長い本文の行です。")


# ----- automatic replies -----


def test_outlook_out_of_office_is_an_automatic_reply():
    assert parse_mail(load("auto_reply_ja")).auto_reply == (
        "Auto-Submitted: auto-replied"
    )


def test_precedence_bulk_absence_notice_is_an_automatic_reply():
    assert parse_mail(load("auto_reply_precedence")).auto_reply == "Precedence: bulk"


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-generated",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "X-Auto-Response-Suppress: All\r\nX-MS-Exchange-Inbox-Rules-Loop: t@x.jp",
        "Precedence: junk",
        "Precedence: list",
        "Precedence: auto_reply",
        "X-Precedence: bulk",
    ],
)
def test_automatic_header_makes_an_automatic_reply(header):
    assert parse_mail(mail(header, b"text")).auto_reply != ""


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: no",
        "X-Auto-Response-Suppress: All",
        "List-Id: <bousai.city.nanao.lg.jp>",
        "Precedence: normal",
    ],
)
def test_ordinary_header_is_not_an_automatic_reply(header):
    assert parse_mail(mail(header, b"text")).auto_reply == ""


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@x.jp", "postmaster@x.jp", "noreply@x.jp", "no-reply@x.jp"]
)
def test_machine_sender_is_an_automatic_reply(sender):
    raw = mail(body=b"text").replace(b"taro@city.nanao.lg.jp", sender.encode())
    assert parse_mail(raw).auto_reply == f"From: {sender.split('@')[0].lower()}"


@pytest.mark.parametrize(
    "subject",
    [
        "自動応答: [Renkei] 会議",
        "【自動返信】ありがとうございます",
        "不在通知",
        "Re: 不在のお知らせ",
        "外出中です",
        "休暇中: Re: [Renkei] 会議",
        "留守のため返信できません",
        "Out of Office: [Renkei] 会議",
        "Automatic reply: [Renkei] 会議",
        "Auto: [Renkei] 会議",
        "AutoReply: [Renkei]",
        "RE: 返信: 自動返信",
    ],
)
def test_automatic_subject_makes_an_automatic_reply(subject):
    word = b64_word(subject)
    assert parse_mail(mail(f"Subject: {word}", b"text")).auto_reply == "subject"


@pytest.mark.parametrize(
    "subject",
    [
        "Re: [Renkei] 年末年始の休暇中の連絡体制について",
        "Re: [Renkei] 不在者投票の事務について",
        "休暇制度の比較",
        "Re: [Renkei] Out of office hours support",
        "Re: [Renkei] 自動応答電話の導入",
    ],
)
def test_ordinary_subject_is_not_an_automatic_reply(subject):
    word = b64_word(subject)
    assert parse_mail(mail(f"Subject: {word}", b"text")).auto_reply == ""


def test_read_receipt_is_an_automatic_reply():
    body_type, body = multipart(
        "report",
        ("Content-Type: text/plain", b"read"),
        ("Content-Type: message/disposition-notification", b"Disposition: manual"),
    )
    body_type += "; report-type=disposition-notification"
    assert parse_mail(mail(body=body, content_type=body_type)).auto_reply == "report"


# ----- bounces -----


def test_postfix_dsn_is_a_permanent_bounce():
    bounce = parse_mail(load("bounce_dsn")).bounce
    assert (bounce.permanent, bounce.status, bounce.recipient) == (
        True,
        "5.1.1",
        "suzuki@city.example.lg.jp",
    )


def test_postfix_dsn_keeps_the_diagnostic():
    assert "User unknown" in parse_mail(load("bounce_dsn")).bounce.diagnostic


def test_bounce_is_not_an_automatic_reply():
    assert parse_mail(load("bounce_dsn")).auto_reply == ""


def dsn(action, status):
    body_type, body = multipart(
        "report",
        ("Content-Type: text/plain", b"notice"),
        (
            "Content-Type: message/delivery-status",
            b"Reporting-MTA: dns; mx.example.jp\r\n\r\n"
            b"Final-Recipient: rfc822; a@example.jp\r\n"
            + f"Action: {action}\r\nStatus: {status}\r\n".encode(),
        ),
    )
    body_type += "; report-type=delivery-status"
    return parse_mail(mail(body=body, content_type=body_type)).bounce


def test_delayed_delivery_is_not_a_permanent_bounce():
    assert dsn("delayed", "4.4.1").permanent is False


def test_failed_action_is_a_permanent_bounce_whatever_the_status():
    assert dsn("failed", "4.4.7").permanent is True


@pytest.mark.parametrize(
    "subject",
    [
        "Undelivered Mail Returned to Sender",
        "Delivery Status Notification (Failure)",
        "配信できませんでした",
        "Mail delivery failed: returning message to sender",
    ],
)
def test_mailer_daemon_notice_without_a_report_is_a_permanent_bounce(subject):
    raw = mail(
        f"Subject: {b64_word(subject)}",
        b"550 5.1.1 <a@example.jp>: User unknown\r\n",
    ).replace(b"taro@city.nanao.lg.jp", b"MAILER-DAEMON@mx.example.jp")
    bounce = parse_mail(raw).bounce
    assert (bounce.permanent, bounce.status) == (True, "5.1.1")


def test_ordinary_mail_from_postmaster_is_not_a_bounce():
    raw = mail("Subject: Welcome", b"hello").replace(
        b"taro@city.nanao.lg.jp", b"postmaster@x.jp"
    )
    assert parse_mail(raw).bounce is None


# ----- malformed input -----


MALFORMED = {
    "empty": b"",
    "garbage": bytes(range(256)) * 64,
    "headers only": b"From: a@b\r\nSubject: x",
    "no header end": b"From: a@b\r\nSubject: x\r\nbody without a blank line",
    "truncated base64": mail(
        "Content-Transfer-Encoding: base64", base64.b64encode("本文です".encode())[:-3]
    ),
    "base64 of one extra char": mail("Content-Transfer-Encoding: base64", b"5pys5=="),
    "bad charset": mail(body=b"\xff\xfe text", content_type="text/plain; charset=foo"),
    "bad rfc2231 charset": mail(
        "Content-Disposition: attachment; filename*=nope''%FF%FE.pdf",
        b"data",
        content_type="application/pdf",
    ),
    "missing boundary": mail(body=b"--x\r\nhi", content_type="multipart/mixed"),
    "missing end boundary": mail(
        body=b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: te",
        content_type='multipart/mixed; boundary="b"',
    ),
    "broken jis": mail(
        body=b"\x1b$B$3$s\x1b$Z\x1b(Babc",
        content_type="text/plain; charset=iso-2022-jp",
    ),
    "nul bytes in headers": (b"From: \x00a@b\x00\r\nSubject: \x00\x01\r\n\r\n\x00\x00"),
    "broken encoded word": mail(
        "Subject: =?utf-8?B?!!!?= =?x?Q?=ZZ?= =?iso-2022-jp?B?"
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_mail_does_not_raise(name):
    parsed = parse_mail(MALFORMED[name])
    assert parsed.message_id


def test_truncated_base64_keeps_what_can_be_read():
    assert parse_mail(MALFORMED["truncated base64"]).text.startswith("本文")


def test_binary_garbage_body_is_unreadable():
    raw = mail(body=bytes(range(256)) * 16, content_type="text/plain; charset=utf-8")
    assert "unreadable" in parse_mail(raw).problems


def test_broken_jis_keeps_the_readable_characters():
    assert parse_mail(MALFORMED["broken jis"]).text.startswith("こん")


def test_thousands_of_nested_parts_are_refused_as_unreadable():
    depth = 5000
    body = b"".join(
        f'--b{n}\r\nContent-Type: multipart/mixed; boundary="b{n + 1}"\r\n\r\n'.encode()
        for n in range(depth)
    )
    raw = mail(body=body, content_type='multipart/mixed; boundary="b0"')
    assert parse_mail(raw).problems == ["unreadable"]


def test_hundreds_of_parts_are_refused_as_unreadable():
    parts = [("Content-Type: text/plain", b"x")] * 500
    content_type, body = multipart("mixed", *parts)
    parsed = parse_mail(mail("Subject: parts", body, content_type=content_type))
    assert (parsed.subject, parsed.problems) == ("parts", ["unreadable"])


def test_millions_of_short_lines_are_refused_as_unreadable():
    parsed = parse_mail(mail("Subject: lines", b"\n" * 2_000_000))
    assert (parsed.subject, parsed.problems) == ("lines", ["unreadable"])


def test_a_flood_of_headers_is_refused_as_unreadable():
    flood = "\r\n".join(["X-Flood: 0123456789"] * 20_000)
    assert parse_mail(mail(f"Subject: flood\r\n{flood}", b"text")).problems == [
        "unreadable"
    ]
