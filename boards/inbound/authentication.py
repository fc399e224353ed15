"""What the receiving MTA found out about a message's sender.

An MTA that checks SPF, DKIM and DMARC (OpenDMARC, rspamd, ...) adds an
Authentication-Results header (RFC 8601) that starts with its own name,
the authserv-id, and removes headers bearing that name which arrive from
outside. (Exchange Online's header does not start with its name, so it
cannot be named here: docs/operations.md.) Only those headers are
believed, and only when RENKEI_MAIL_AUTHSERV_ID names it: any other could
be written by the sender.

The one verdict used is ``dmarc=fail``: the domain in From publishes a
DMARC policy and the message did not come from its servers, so From was
forged. Without a DMARC record (many municipal domains have none) nothing
is decided here.
"""

import re

from boards.inbound.headers import one_line, raw_bytes

# Comments (RFC 5322 CFWS) may nest; a few rounds take off any real one.
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*=\s*([A-Za-z]+)")
# Far more than any real message carries, to bound the work.
MAX_HEADERS = 50


def authentication_results(values: list[str]) -> list[str]:
    """Authentication-Results values, each on one line, in message order
    (the newest, added by the MTA nearest to Renkei, first)."""
    return [
        one_line(raw_bytes(value).decode("ascii", "replace"), limit=2000)
        for value in values[:MAX_HEADERS]
    ]


def dmarc_failure(results: list[str], authserv_id: str) -> str:
    """The verdict that From was forged ("" if none), read from the newest
    header of ``authserv_id``."""
    if not authserv_id:
        return ""
    for value in results:
        text = value
        for _round in range(5):
            text = _COMMENT.sub(" ", text)
        head, *methods = text.split(";")
        name = head.split()[0].strip('"').lower() if head.split() else ""
        if name != authserv_id.lower():
            continue
        for method in methods:
            found = _RESULT.match(method)
            if found and found[1].lower() == "dmarc":
                result = found[2].lower()
                return f"dmarc={result} ({name})" if result == "fail" else ""
        return ""
    return ""
