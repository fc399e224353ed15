"""Replies as Japanese municipal mail clients write them, for the inbound tests.

Each .eml file is a member's answer to a Renkei notification, with the
notification quoted below and a municipal signature. Placeholders (ASCII,
so they can be replaced in the bytes of any charset) stand for the
addresses and the Message-ID: __TO__, __FROM__, __MESSAGE_ID__.

EXPECTED holds, for every fixture that should become a post, the exact
new text once quotes and signature are taken off. The automatic replies
(auto_reply_ja, auto_reply_precedence) and the bounce (bounce_dsn) are
never posted, so they have no entry. attachment_pdf carries attachment.pdf
under the name ATTACHMENT_NAME.
"""

import uuid
from pathlib import Path

DIRECTORY = Path(__file__).parent

ATTACHMENT_NAME = "受援計画_七尾市.pdf"


def load(
    name: str,
    *,
    to: str = "reply+key-sig@renkei.localhost",
    sender: str = "taro@city.nanao.lg.jp",
    message_id: str | None = None,
) -> bytes:
    """The raw bytes of fixture ``name`` (without .eml), addressed as asked.

    ``message_id`` is written without <>; a fresh one is made when None.
    """
    if message_id is None:
        message_id = f"{uuid.uuid4().hex}@mail.example.lg.jp"
    raw = (DIRECTORY / f"{name}.eml").read_bytes()
    return (
        raw.replace(b"__TO__", to.encode("ascii"))
        .replace(b"__FROM__", sender.encode("ascii"))
        .replace(b"__MESSAGE_ID__", message_id.encode("ascii"))
    )


def attachment_pdf() -> bytes:
    """The PDF attached to attachment_pdf.eml."""
    return (DIRECTORY / "attachment.pdf").read_bytes()


NAMES = sorted(path.stem for path in DIRECTORY.glob("*.eml"))

EXPECTED = {
    "outlook_ja": (
        "山田様\n"
        "\n"
        "お世話になっております。七尾市防災危機管理課の田中です。\n"
        "当市の受援計画も令和5年度に改定しました。要点は次のとおりです。\n"
        "\n"
        "①応援職員の受入れ窓口は防災危機管理課に一本化\n"
        "②宿泊場所は市と協定を結んだ㈱七尾観光ホテルを優先\n"
        "③資機材の受入れは能登島地区の備蓄倉庫で行う\n"
        "\n"
        "改定後の計画書は来週中に掲示板へ掲載いたします。\n"
        "よろしくお願いいたします。"
    ),
    "outlook_en_labels": (
        "山田様\n"
        "\n"
        "お世話になります。七尾市の田中です。\n"
        "当市は英語版のOutlookを使っているため、引用の見出しが英語になっています。\n"
        "受援計画の改定は来年2月を予定しています。\n"
        "\n"
        "よろしくお願いします。"
    ),
    "outlook365_html_only": (
        "山田様\n"
        "\n"
        "七尾市の田中です。HTMLメールで失礼します。\n"
        "当市の計画は七尾市受援計画 (https://www.city.nanao.lg.jp/bousai/juen.html)に掲載しています。\n"
        "確認したい点は次の2つです。\n"
        "\n"
        "- 応援職員の宿泊先の確保\n"
        "- 公用車の燃料の手配\n"
        "\n"
        "よろしくお願いいたします。"
    ),
    "thunderbird_ja": (
        "山田さん\n"
        "\n"
        "七尾市の田中です。\n"
        "受援計画の様式は内閣府の「市町村のための人的応援の受入れに関する"
        "受援計画作成の手引き」に 沿って作っています。"
        "様式のExcelファイルが必要でしたらお送りします。\n"
        "\n"
        "よろしくお願いします。"
    ),
    "becky": (
        "山田さん\n"
        "\n"
        "七尾市の田中です。\n"
        "Becky!から返信しています。\n"
        "\n"
        "当市では応援職員の受入れ訓練を毎年11月に行っています。\n"
        "次回は見学も受け付けますので、ご希望があればお知らせください。"
    ),
    "gmail_ja": (
        "山田様\n"
        "\n"
        "七尾市の田中です。Gmailから失礼します。\n"
        "受援計画の件、承知しました。来週の会議で当市の状況を報告します。"
    ),
    "iphone_ja": (
        "山田様\n"
        "\n"
        "出張先から失礼します。七尾市の田中です。\n"
        "受援計画の資料、拝見しました。戻りましたら詳しくご連絡します。"
    ),
    "shift_jis": (
        "山田様\n"
        "\n"
        "いつもお世話になっております。\n"
        "七尾市 防災危機管理課の髙橋です。\n"
        "\n"
        "当市の受援計画では、物資の輸送を㈱能登ロジスティクスに委託しています。\n"
        "協定書の写しが必要でしたらご連絡ください。\n"
        "\n"
        "以上、よろしくお願いいたします。"
    ),
    "qp_utf8": (
        "山田様\n"
        "\n"
        "七尾市の田中です。webメールから返信します。\n"
        "千代田区さんの「受援窓口の一本化」は当市でも検討しています。\n"
        "窓口を一本化したあと、各課との連絡はどのように取られていますか？\n"
        "差し支えなければ教えてください。"
    ),
    "keyword_interest": (
        "関心あり\n"
        "\n"
        "七尾市の田中です。\n"
        "当市も受援計画の改定を予定しているので、ぜひ参考にさせてください。"
    ),
    "forwarded_chain": (
        "山田様\n"
        "\n"
        "七尾市の田中です。\n"
        "石川県から受援計画の様式について通知が来ていましたので、経緯も含めて共有します。\n"
        "県の通知本文は下の転送部分をご覧ください。"
    ),
    "tnef": ("山田様\n\n七尾市の田中です。\n計画書の写しを添付しました。"),
    "attachment_pdf": (
        "山田様\n"
        "\n"
        "七尾市の髙橋です。\n"
        "当市の受援計画（PDF）を添付します。ご査収ください。"
    ),
    "header_injection": ("山田様\n\n七尾市の田中です。\n会議の日程、承知しました。"),
}
