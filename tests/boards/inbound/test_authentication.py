"""Reading the receiving MTA's Authentication-Results (RFC 8601)."""

from boards.inbound.authentication import dmarc_failure
from boards.inbound.parse import parse_mail

OURS = "mx.renkei.example.jp"


def test_our_mtas_dmarc_fail_is_a_forgery():
    results = [f"{OURS}; spf=fail smtp.mailfrom=x.example; dmarc=fail header.from=a.jp"]
    assert dmarc_failure(results, OURS) == f"dmarc=fail ({OURS})"


def test_a_dmarc_pass_is_no_forgery():
    assert dmarc_failure([f"{OURS}; dmarc=pass header.from=a.jp"], OURS) == ""


def test_no_dmarc_record_decides_nothing():
    results = [f"{OURS}; spf=softfail smtp.mailfrom=a.jp; dmarc=none header.from=a.jp"]
    assert dmarc_failure(results, OURS) == ""


def test_a_header_of_another_server_is_not_believed():
    # Written by the sender (or a server on the way): anyone can.
    assert dmarc_failure(["mx.attacker.example; dmarc=fail"], OURS) == ""


def test_without_an_authserv_id_nothing_is_read():
    assert dmarc_failure([f"{OURS}; dmarc=fail"], "") == ""


def test_the_newest_header_of_ours_decides():
    results = [f"{OURS}; dmarc=pass", f"{OURS}; dmarc=fail"]
    assert dmarc_failure(results, OURS) == ""


def test_comments_and_a_version_are_read_past():
    results = [
        f"{OURS.upper()} 1 (OpenDMARC (v1.4)); dmarc=fail (p=reject dis=none) "
        "header.from=city.example.lg.jp"
    ]
    assert dmarc_failure(results, OURS) == f"dmarc=fail ({OURS})"


def test_a_comment_cannot_hide_a_method_result():
    assert dmarc_failure([f"{OURS}; spf=pass (dmarc=fail)"], OURS) == ""


def test_the_parser_keeps_the_headers_newest_first():
    raw = (
        f"Authentication-Results: {OURS};\r\n\tdmarc=fail header.from=a.jp\r\n"
        "Authentication-Results: relay.example; dmarc=pass\r\n"
        "From: a@a.jp\r\nSubject: x\r\n\r\nbody\r\n"
    ).encode()
    assert parse_mail(raw).authentication == [
        f"{OURS}; dmarc=fail header.from=a.jp",
        "relay.example; dmarc=pass",
    ]
