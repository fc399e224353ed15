"""The mail server is down: pages that mail still answer, and the mail waits.

Every mail, allauth's sign-in mails included, is queued for the task worker
inside the request's transaction; the worker sends it when SMTP answers.
"""

import socket

import pytest
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_down(settings):
    """An SMTP address nobody listens on, and tasks kept for the worker."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued_mail_to(address):
    return [
        task
        for task in DBTaskResult.objects.filter(task_path="members.tasks.send_mail")
        if task.args_kwargs["kwargs"]["to"] == [address]
    ]


def test_a_password_reset_answers_and_queues_its_mail(client, member, smtp_down):
    response = client.post("/accounts/password/reset/", {"email": member.email})
    assert response.status_code == 302
    (task,) = queued_mail_to(member.email)
    assert "/accounts/password/reset/key/" in task.args_kwargs["kwargs"]["body"]


def test_an_unconfirmed_address_can_still_ask_to_sign_in(client, make_user, smtp_down):
    user = make_user(email="new@example.jp", email_verified=False)
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert len(queued_mail_to(user.email)) == 1
