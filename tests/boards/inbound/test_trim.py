"""Taking quoted history and signatures off the text of a reply."""

import pytest

from boards.inbound.trim import trim_reply

NEW = "山田様\n\n七尾市の田中です。\n承知しました。"
QUOTE = "> 千代田区の山田 花子 さんが返信しました。\n>\n> 各区の受援計画を共有します。"
PLAIN_QUOTE = "千代田区の山田 花子 さんが返信しました。\n\n各区の受援計画を共有します。"
SIGNATURE = (
    "{rule}\n七尾市 総務部 防災危機管理課\n田中 太郎\n"
    "〒926-8611 石川県七尾市袖ケ江町イ部25番地\n"
    "TEL：0767-53-1111（内線 2345）\nE-mail：taro@city.nanao.lg.jp\n{rule}"
)

HEADERS = {
    "outlook ja": (
        "差出人: Renkei <reply+k@renkei.localhost>\n送信日時: 2026年12月7日 9:12\n"
        "宛先: 田中 太郎\n件名: [Renkei] 会議\n\n" + PLAIN_QUOTE
    ),
    "outlook ja full-width colons": (
        "差出人： Renkei\n送信日時： 2026年12月7日 9:12\n件名： [Renkei] 会議\n\n"
        + PLAIN_QUOTE
    ),
    "outlook ja with blank lines between": (
        "差出人: Renkei\n\n送信日時: 2026年12月7日 9:12\n\n件名: 会議\n\n" + PLAIN_QUOTE
    ),
    "outlook ja bold": (
        "*差出人:* Renkei\n*送信日時:* 2026年12月7日\n*件名:* 会議\n\n" + PLAIN_QUOTE
    ),
    "outlook ja brackets": (
        "【差出人】 Renkei\n【送信日時】 2026年12月7日 9:12\n【件名】 会議\n\n"
        + PLAIN_QUOTE
    ),
    "outlook ja subject only": "差出人: Renkei\n件名: 会議\n\n" + PLAIN_QUOTE,
    "outlook en": (
        "From: Renkei <reply+k@renkei.localhost>\n"
        "Sent: Monday, December 7, 2026 9:12 AM\n"
        "To: Taro\nSubject: [Renkei] 会議\n\n" + PLAIN_QUOTE
    ),
    "outlook en bold": (
        "**From:** Renkei\n**Sent:** Monday, December 7, 2026\n**Subject:** x\n\n"
        + PLAIN_QUOTE
    ),
    "underscores": (
        "_" * 32 + "\nFrom: Renkei\nSent: Monday\nSubject: x\n\n" + PLAIN_QUOTE
    ),
    "original message": "-----Original Message-----\n" + PLAIN_QUOTE,
    "thunderbird original message": (
        "-------- Original Message --------\n" + PLAIN_QUOTE
    ),
    "thunderbird forward": "-------- 転送メッセージ --------\n" + PLAIN_QUOTE,
    "gmail forward": "---------- Forwarded message ---------\n" + PLAIN_QUOTE,
    "gmail ja forward": "---------- メッセージを転送 ----------\n" + PLAIN_QUOTE,
    "apple forward": "転送されたメッセージ:\n\n" + PLAIN_QUOTE,
    "on wrote": "On Mon, Dec 7, 2026 at 9:12 AM Renkei <r@x.jp> wrote:\n" + QUOTE,
    "thunderbird ja": "On 2026/12/07 9:12, 山田 花子 wrote:\n" + QUOTE,
    "becky two lines": (
        "On Wed, 20 Feb 2002 17:12:21 -0800\nYamada <yamada@example.jp> wrote:\n\n"
        + QUOTE
    ),
    "gmail en wrapped": (
        "On Mon, Dec 7, 2026 at 9:12 AM Renkei <\n"
        "reply+key-sig@renkei.localhost> wrote:\n" + QUOTE
    ),
    "san wa kakimashita": (
        "2009/07/25 12:15 に 山田<yamada@example.jp> さんは書きました:\n" + QUOTE
    ),
    "evolution ja": (
        "2006-11-08 (水) の 11:31 +0100 に 山田 花子 さんは書きました:\n" + QUOTE
    ),
    "gmail ja": "2024年5月1日(水) 10:00 山田太郎 <taro@example.jp>:\n\n" + QUOTE,
    "gmail ja wrapped": (
        "2024年5月1日(水) 10:00 山田太郎 <\ntaro@example.jp>:\n\n" + QUOTE
    ),
    "ja message": "2024/05/01 10:00、山田 のメッセージ:\n\n" + QUOTE,
    "iphone ja": "2024/05/01 10:00、山田太郎 <taro@example.jp>のメール:\n\n" + QUOTE,
    "quote block only": QUOTE,
    "full-width quote": "＞ 千代田区の山田です。\n＞ 共有します。",
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_quote_header_cuts_the_history(name):
    assert trim_reply(f"{NEW}\n\n{HEADERS[name]}") == (NEW, HEADERS[name])


def test_forward_inside_the_history_is_cut_with_it():
    history = (
        "-----Original Message-----\nFrom: 田中\nSent: Friday\nSubject: FW: 通知\n\n"
        "---------- Forwarded message ---------\nFrom: 石川県\n\n通知します。"
    )
    assert trim_reply(f"{NEW}\n\n{history}")[0] == NEW


def test_from_label_in_the_text_alone_is_not_a_quote_header():
    text = "From: 七尾市の田中です。\n件名の件は了解です。"
    assert trim_reply(text)[0] == "From: 七尾市の田中です。\n件名の件は了解です。"


def test_inline_quotes_between_answers_are_kept():
    text = "山田様\n\n> 質問1\n回答1です。\n\n> 質問2\n回答2です。"
    assert trim_reply(text) == (text, "")


def test_trailing_quote_after_inline_answers_is_dropped():
    text = "山田様\n\n> 質問1\n回答1です。\n\n> 残りの引用\n> 続き"
    assert trim_reply(text)[0] == "山田様\n\n> 質問1\n回答1です。"


def test_unknown_attribution_above_a_trailing_quote_is_dropped():
    text = f"{NEW}\n\nYamada Hanako <hanako@example.jp>:\n{QUOTE}"
    assert trim_reply(text)[0] == NEW


@pytest.mark.parametrize(
    "rule",
    [
        "-- ",
        "=" * 20,
        "-" * 30,
        "*" * 10,
        "_" * 10,
        "~" * 10,
        "+" * 10,
        "#" * 10,
        "ー" * 10,
        "─" * 10,
        "━" * 10,
        "＝" * 10,
        "＊" * 10,
        "※" * 10,
        "☆★" * 5,
        "◆" * 10,
        "■" * 10,
    ],
)
def test_signature_below_a_rule_is_taken_off(rule):
    signature = SIGNATURE.format(rule=rule)
    assert trim_reply(f"{NEW}\n\n{signature}")[0] == NEW


def test_signature_taken_off_is_kept_in_elided():
    signature = SIGNATURE.format(rule="=" * 20)
    assert trim_reply(f"{NEW}\n\n{signature}")[1] == signature


def test_signature_with_only_a_rule_above_it_is_taken_off():
    signature = "━━━━━━━━━━\n七尾市 防災危機管理課\n田中 太郎\n内線 2345"
    assert trim_reply(f"{NEW}\n\n{signature}")[0] == NEW


def test_rule_followed_by_paragraphs_is_not_a_signature():
    text = (
        f"{NEW}\n\n＝＝＝＝＝＝＝＝\n第2部の議題について説明します。\n"
        "資料は会議の前日までにお送りします。\n当日の進行は千代田区さんにお願いします。"
    )
    assert trim_reply(text) == (text, "")


def test_long_block_below_a_rule_is_not_a_signature():
    text = f"{NEW}\n\n========\n" + "\n".join(f"防災課 {n}" for n in range(13))
    assert trim_reply(text)[0] == text


def test_signature_above_the_quote_header_is_taken_off():
    signature = SIGNATURE.format(rule="=" * 20)
    text = f"{NEW}\n\n{signature}\n\n{HEADERS['outlook ja']}"
    assert trim_reply(text)[0] == NEW


def test_signature_and_quote_both_go_when_the_signature_is_below():
    text = f"{NEW}\n\n{QUOTE}\n\n-- \n田中 太郎\nTEL 0767-53-1111"
    assert trim_reply(text)[0] == NEW


@pytest.mark.parametrize(
    "closing", ["以上", "以上、よろしくお願いいたします。", "以上です。"]
)
def test_closing_line_ends_the_message_and_stays(closing):
    text = f"{NEW}\n{closing}\n\n七尾市 田中\n追って連絡します"
    assert trim_reply(text) == (f"{NEW}\n{closing}", "七尾市 田中\n追って連絡します")


def test_sentence_starting_with_ijou_does_not_end_the_message():
    text = "以上の理由により、当市は参加します。\n詳細は別途お送りします。"
    assert trim_reply(text) == (text, "")


@pytest.mark.parametrize(
    "device", ["iPhoneから送信", "Sent from my iPhone", "Outlook for iOS を入手"]
)
def test_sent_from_a_device_line_is_taken_off(device):
    assert trim_reply(f"{NEW}\n\n{device}")[0] == NEW


def test_header_on_top_keeps_the_answer_below_the_quote():
    text = f"On 2026/12/07 9:12, 山田 花子 wrote:\n{QUOTE}\n\n{NEW}"
    assert trim_reply(text)[0] == NEW


def test_header_on_top_keeps_inline_answers():
    text = "On 2026/12/07 9:12, 山田 wrote:\n> 質問1\n回答1です。\n> 質問2\n回答2です。"
    assert trim_reply(text)[0] == "> 質問1\n回答1です。\n> 質問2\n回答2です。"


def test_bare_forward_keeps_the_forwarded_text():
    text = "-------- 転送メッセージ --------\n件名: 通知\n\n県からの通知です。"
    assert trim_reply(text)[0] == "件名: 通知\n\n県からの通知です。"


def test_text_that_is_only_a_quote_is_returned_whole():
    assert trim_reply(QUOTE)[0] == QUOTE


def test_text_that_is_only_a_signature_is_returned_whole():
    signature = SIGNATURE.format(rule="=" * 20)
    assert trim_reply(signature)[0] == signature


def test_empty_text_stays_empty():
    assert trim_reply("") == ("", "")


def test_trailing_spaces_and_blank_lines_go():
    assert trim_reply("\n\n一行目  \n\n\n二行目\n\n") == ("一行目\n\n\n二行目", "")


def test_many_rules_are_trimmed_in_bounded_work():
    text = NEW + "\n" + "=====\n" * 200_000
    assert trim_reply(text)[0] == NEW
