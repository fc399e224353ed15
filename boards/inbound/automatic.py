"""Telling mail written by a machine from mail written by a member.

A bounce is told first: it says an address fails, and is not an automatic
reply even though Postfix marks it Auto-Submitted.

List-Id alone does not make a mail automatic. A member's own reply never
passes through a list manager, and the list managers' own mail (digests,
moderation notices) carries Precedence: list or bulk, which is caught;
ignoring every mail with List-Id would silently drop a member's words the
day an organisation's gateway adds the header.
"""

import re
from email.message import Message
from email.parser import HeaderParser

from boards.inbound.headers import decode_header, header_map, one_line

_AUTOMATIC_SENDERS = {
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "do_not_reply",
}
_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
# Reply and forward prefixes that may come before an automatic subject.
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|vs|wg|tr|返信|転送|回覧)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
# Japanese words count only when what follows shows they are a notice
# (不在通知, 外出中, 休暇のため, 不在: …), so 「不在者投票」 or 「休暇制度」
# at the start of a subject is not taken for one.
_AUTOMATIC_SUBJECT = re.compile(
    r"""^[\s\[【(（<＜「『]*(?:
        (?:自動応答|自動返信|自動送信|自動転送|自動配信)
      | (?:不在|外出|休暇|留守|出張|休業)
        (?:通知|連絡|案内|のお知らせ|のご連絡|のご案内|のため|中|です|[:：\]】)）>＞」』\s]|$)
      | out\s+of\s+(?:the\s+)?office
      | automatic\s+reply | auto(?:matic)?[-\s]?reply | autoresponse | auto:
      | abwesenheitsnotiz | absence
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_BOUNCE_SUBJECT = re.compile(
    r"""(?:undeliver(?:ed|able)|returned\s+mail|delivery\s+status\s+notification
      | delivery\s+failure | failure\s+notice | mail\s+delivery\s+failed
      | could\s+not\s+be\s+delivered | delivery\s+has\s+failed
      | 配信できませんでした|配送できませんでした|配信不能|配送不能|配信エラー
      | 配送エラー|送信できませんでした|宛先不明|不達)""",
    re.IGNORECASE | re.VERBOSE,
)
# Per-recipient blocks of a delivery report read at most.
MAX_RECIPIENTS = 100
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
# Headers that Exchange puts on the replies its mailbox rules (the
# out-of-office assistant among them) send.
_EXCHANGE_RULES = ("x-ms-exchange-inbox-rules-loop",)
_EXCHANGE_SOURCE = "x-ms-exchange-generated-message-source"


def _value(headers, name):
    values = headers.get(name.lower())
    return one_line(decode_header(values[0])).lower() if values else ""


def automatic_reason(
    message: Message, headers: dict, subject: str, from_address: str
) -> str:
    """Why a mail is an automatic reply (a short reason), or "".

    ``headers`` is the message's header_map.
    """
    auto_submitted = _value(headers, "Auto-Submitted").split(";")[0].strip()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if name.lower() in headers and _value(headers, name) not in ("no", "false"):
            return name
    if "x-auto-response-suppress" in headers and (
        any(name in headers for name in _EXCHANGE_RULES)
        or "mailbox rules" in _value(headers, _EXCHANGE_SOURCE)
    ):
        return "Exchange out of office"
    for name in ("Precedence", "X-Precedence"):
        precedence = _value(headers, name)
        if precedence in _PRECEDENCE:
            return f"{name}: {precedence}"
    local_part = from_address.partition("@")[0]
    if local_part in _AUTOMATIC_SENDERS:
        return f"From: {local_part}"
    if message.get_content_type() == "multipart/report":
        return "report"
    if _AUTOMATIC_SUBJECT.match(_PREFIX.sub("", subject)):
        return "subject"
    return ""


def find_bounce(message: Message, subject: str, from_address: str, text: str):
    """The delivery failure a mail reports, or None.

    Returns (permanent, status, diagnostic, recipient).
    """
    if message.get_content_type() == "multipart/report" and (
        (message.get_param("report-type") or "").lower() == "delivery-status"
    ):
        for part in message.walk():
            if part.get_content_type() in (
                "message/delivery-status",
                "message/global-delivery-status",
            ):
                return _read_status(part)
        return (True, "", "", "")
    sender = from_address.partition("@")[0]
    if sender in ("mailer-daemon", "postmaster") and _BOUNCE_SUBJECT.search(subject):
        status = _STATUS.search(text)
        diagnostic = ""
        if status:
            line_start = text.rfind("\n", 0, status.start()) + 1
            line_end = text.find("\n", status.end())
            diagnostic = text[line_start : line_end if line_end >= 0 else None]
        return (True, status.group(1) if status else "", one_line(diagnostic), "")
    return None


def _read_status(part):
    """The first failed recipient of a message/delivery-status part."""
    blocks = []
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [block for block in payload if isinstance(block, Message)]
    elif isinstance(payload, str):
        parser = HeaderParser()
        blocks = [parser.parsestr(chunk) for chunk in re.split(r"\r?\n\r?\n", payload)]
    fields = [header_map(block) for block in blocks[:MAX_RECIPIENTS]]
    recipients = [block for block in fields if "action" in block or "status" in block]
    if not recipients:
        return (True, "", "", "")
    failed = [
        block for block in recipients if _value(block, "Action") == "failed"
    ] or recipients
    block = failed[0]
    action = _value(block, "Action")
    found = _STATUS.search(_value(block, "Status"))
    status = found.group(1) if found else ""
    permanent = status.startswith("5") or action == "failed"
    recipient = _value(block, "Final-Recipient") or _value(block, "Original-Recipient")
    recipient = recipient.partition(";")[2].strip() or recipient
    diagnostic = one_line(decode_header(block.get("diagnostic-code", [""])[0]), 1000)
    return (permanent, status, diagnostic, recipient)
