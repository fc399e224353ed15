"""`manage.py mail_fetch` against a real IMAP server (Dovecot on loopback)."""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError

from boards import mail_addresses
from boards.management.commands import mail_fetch
from boards.models import InboundMail, MailboxState, Post
from tests import factories
from tests.boards import mails

pytestmark = pytest.mark.django_db

DOMAIN = "mail.renkei.test"
USER, PASSWORD = "renkei", "imap-test-password"
DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accounts():
    """Who Dovecot's processes run as: its own users when started as root
    (its login process refuses root), else whoever runs the tests."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return "dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


@pytest.fixture(scope="module")
def dovecot():
    if DOVECOT is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI runs the IMAP tests: install Dovecot "
                "(apt-get install dovecot-imapd)."
            )
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="renkei-dovecot-"))
    root.chmod(0o755)
    login_user, internal_user, uid, gid = accounts()
    (root / "mail").mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            port=port,
            login_user=login_user,
            internal_user=internal_user,
            mail_user=uid,
            mail_group=gid,
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            imaplib.IMAP4("127.0.0.1", port).logout()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = root / "dovecot.log"
                pytest.fail(
                    log.read_text() if log.exists() else "Dovecot did not start"
                )
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def folder(dovecot, settings):
    """A new, empty folder for each test, which mail_fetch is set to read."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    client = imaplib.IMAP4("127.0.0.1", dovecot)
    client.login(USER, PASSWORD)
    client.create(name)
    settings.MAIL_DOMAIN = DOMAIN
    settings.MAIL_IMAP = {
        "host": "127.0.0.1",
        "port": dovecot,
        "user": USER,
        "password": PASSWORD,
        "folder": name,
        "ssl": False,
    }
    yield Folder(client, name)
    client.logout()


class Folder:
    def __init__(self, client, name):
        self.client, self.name = client, name

    def append(self, raw, flags=None):
        status, _ = self.client.append(self.name, flags, None, raw)
        assert status == "OK"

    def flags(self):
        self.client.select(self.name)
        _, data = self.client.uid("FETCH", "1:*", "(FLAGS)")
        return [item.decode() for item in data if item]

    def unsee_all(self):
        self.client.select(self.name)
        self.client.uid("STORE", "1:*", "-FLAGS", "(\\Seen)")


@pytest.fixture
def member(db):
    return factories.make_user(email="tanaka@city.nanao.lg.jp")


@pytest.fixture
def thread(db):
    author = factories.make_user(email="yamada@city.chiyoda.lg.jp")
    return factories.make_thread(author=author)


def reply(member, thread, name="becky"):
    address = mail_addresses.reply_address(user=member, thread=thread)
    return mails.load(name, to=address, sender=member.email)


def fetch():
    call_command("mail_fetch", "--once")


def posts(thread):
    return list(Post.objects.filter(thread=thread, position__gt=0))


def test_a_reply_in_the_mailbox_is_posted_and_marked_seen(folder, member, thread):
    folder.append(reply(member, thread))
    fetch()
    (post,) = posts(thread)
    assert post.body == mails.EXPECTED["becky"]
    assert InboundMail.objects.get().channel == InboundMail.Channel.IMAP
    assert all("\\Seen" in flags for flags in folder.flags())


def test_a_message_read_again_posts_once(folder, member, thread):
    folder.append(reply(member, thread))
    fetch()
    # As if the flag had been lost: the receiver died before setting it.
    folder.unsee_all()
    fetch()
    assert len(posts(thread)) == 1
    assert InboundMail.objects.count() == 1


def test_a_message_someone_already_read_is_still_processed(folder, member, thread):
    folder.append(reply(member, thread), flags="(\\Seen)")
    fetch()
    assert len(posts(thread)) == 1


def test_the_last_uid_is_remembered(folder, member, thread):
    folder.append(reply(member, thread))
    folder.append(reply(member, thread, "gmail_ja"))
    fetch()
    assert MailboxState.objects.get().last_uid == 2


def test_a_new_uidvalidity_reads_the_folder_again(folder, member, thread):
    folder.append(reply(member, thread), flags="(\\Seen)")
    fetch()
    InboundMail.objects.all().delete()
    MailboxState.objects.update(uidvalidity=1, last_uid=99)
    fetch()
    assert InboundMail.objects.count() == 1


def test_the_delivered_to_address_is_used(folder, member, thread):
    address = mail_addresses.reply_address(user=member, thread=thread)
    raw = mails.load("becky", to="members@city.chiyoda.lg.jp", sender=member.email)
    folder.append(f"Delivered-To: {address}\r\n".encode() + raw)
    fetch()
    assert len(posts(thread)) == 1


def test_a_message_that_fails_stays_unseen_and_is_read_next_time(
    folder, member, thread, monkeypatch
):
    folder.append(reply(member, thread))

    def outage(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(mail_fetch, "mail_ingest", outage)
    fetch()
    assert not InboundMail.objects.exists()
    assert not any("\\Seen" in flags for flags in folder.flags())
    monkeypatch.undo()
    fetch()
    assert len(posts(thread)) == 1
    assert all("\\Seen" in flags for flags in folder.flags())


def test_a_refusal_is_logged_and_marked_seen(folder, member, thread):
    address = mail_addresses.reply_address(user=member, thread=thread)
    folder.append(mails.load("becky", to=address, sender="forger@example.com"))
    fetch()
    row = InboundMail.objects.get()
    assert row.reason == InboundMail.Reason.WRONG_SENDER
    assert all("\\Seen" in flags for flags in folder.flags())


def test_a_wrong_password_stops_the_command(folder, settings):
    settings.MAIL_IMAP = {**settings.MAIL_IMAP, "password": "wrong"}
    with pytest.raises(Exception, match="IMAP"):
        fetch()
