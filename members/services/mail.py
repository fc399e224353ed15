"""Mail from members: what it says and where it links; members.tasks sends it.

Nothing here queues work, so members.tasks can use it without a loop.
"""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .. import permissions
from ..models import User


def mail_render(*, template: str, context: dict) -> tuple[str, str]:
    """The subject (with the site's prefix) and body of a mail template."""
    context = {"site_url": settings.SITE_URL, **context}
    # One line: a name with a line break must not break the mail header.
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_message.txt", context)
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body


def office_addresses() -> list[str]:
    """E-mail addresses of the active office staff."""
    return list(
        permissions.office_staff_users(User.objects.all()).values_list(
            "email", flat=True
        )
    )


def site_link(path: str) -> str:
    """An absolute link for a mail: RENKEI_SITE_URL, never the request's Host."""
    return settings.SITE_URL + path


def password_setup_url(*, user: User) -> str:
    """A one-time link with which a new account sets its password."""
    return site_link(
        reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
    )
