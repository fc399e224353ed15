"""A task worker is killed mid-task: the task runs again, once in effect.

Real `manage.py db_worker` processes work on the test database and mail
through a small SMTP server in the test, which can hold its answer to a
message; the worker is killed with SIGKILL while it waits.
"""

import select
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from boards.models import Notification
from members.common import workers
from tests import factories

from .conftest import site_environment

pytestmark = pytest.mark.django_db(transaction=True)


class SMTPServer(socketserver.ThreadingTCPServer):
    """Accepts mail; while `hold` is set, keeps a message unanswered.

    A message counts as delivered only once the server has answered 250,
    as with a real server: a client that dies before that has sent nothing.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.delivered = []
        self.hold = threading.Event()
        self.waiting = threading.Event()


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test")
        recipients = []
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command.startswith("RCPT TO:"):
                recipients.append(line.decode().strip()[8:].strip("<> "))
                self.reply("250 ok")
            elif command == "DATA":
                self.reply("354 go on")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                if not self.answer_when_released():
                    return
                self.server.delivered.append(recipients)
                recipients = []
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def answer_when_released(self):
        """False if the client went away while the answer was held."""
        self.server.waiting.set()
        while self.server.hold.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.1)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                return False
        return True


@pytest.fixture
def smtp():
    server = SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.hold.clear()
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_worker(smtp):
    """Start `manage.py db_worker` processes; they are killed afterwards."""
    started = []
    environment = site_environment(
        DJANGO_EMAIL_HOST="127.0.0.1", DJANGO_EMAIL_PORT=str(smtp.server_address[1])
    )

    def start(worker_id, *options):
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--worker-id",
                worker_id,
                "--interval",
                "0.1",
                "--no-startup-delay",
                *options,
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.1)
    return value


@pytest.fixture
def reply_waiting(committed, settings):
    """A reply whose notification and mail the worker has yet to make."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    member = factories.make_user(email="member@example.jp")
    other = factories.make_user(email="other@example.jp")
    thread = factories.make_thread(author=member)
    factories.make_reply(thread=thread, author=other)
    return member


def mail_task():
    return DBTaskResult.objects.get(task_path__endswith="send_pending_mail")


def test_a_task_whose_worker_was_killed_runs_again_and_mails_once(
    reply_waiting, smtp, start_worker
):
    smtp.hold.set()
    worker = start_worker("first")
    assert smtp.waiting.wait(60)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert mail_task().status == TaskResultStatus.RUNNING
    smtp.hold.clear()
    # PostgreSQL frees the dead worker's lock once it sees the connection go.
    wait_for(lambda: workers.requeue_lost_tasks(grace=timedelta(0)))
    start_worker("second", "--batch").wait(60)
    assert smtp.delivered == [[reply_waiting.email]]
    assert Notification.objects.get().mailed_at is not None
    assert mail_task().status == TaskResultStatus.SUCCESSFUL
    assert mail_task().worker_ids == ["first", "second"]


def test_a_task_whose_worker_is_alive_is_left_running(
    reply_waiting, smtp, start_worker
):
    smtp.hold.set()
    start_worker("first")
    assert smtp.waiting.wait(60)
    assert workers.requeue_lost_tasks(grace=timedelta(0)) == 0
    assert mail_task().status == TaskResultStatus.RUNNING


def test_a_fan_out_run_again_makes_no_second_notification_or_mail(
    reply_waiting, smtp, start_worker
):
    start_worker("first", "--batch").wait(60)
    # The state a worker killed just before recording success leaves.
    fan_out = DBTaskResult.objects.filter(task_path__endswith="fan_out")
    fan_out.update(status=TaskResultStatus.RUNNING, worker_ids=["gone"])
    assert workers.requeue_lost_tasks(grace=timedelta(0)) == fan_out.count()
    start_worker("second", "--batch").wait(60)
    assert Notification.objects.count() == 1
    assert smtp.delivered == [[reply_waiting.email]]
