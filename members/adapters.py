from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext

from . import sign_ins, tasks
from .services.mail import site_link


def on_site(url):
    """The same link on RENKEI_SITE_URL, whatever host it was built with."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return site_link(parts.path + query)


class AccountAdapter(DefaultAccountAdapter):
    """allauth, fitted to the project.

    allauth builds the links in its mails from the request's Host header,
    and a forged Host passes ALLOWED_HOSTS when only its port differs: every
    link and site name in its mails comes from RENKEI_SITE_URL instead.
    """

    def is_open_for_signup(self, request):
        # Accounts come from the membership application and the office.
        return False

    def pre_authenticate(self, request, **credentials):
        """Refused for too many failures: recorded, since no password is tried."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            sign_ins.sign_in_record(
                request=request,
                outcome=sign_ins.Outcome.LOCKED_OUT,
                email=str(credentials.get("email", "")),
            )
            raise

    def send_mail(self, template_prefix, email, context):
        """allauth's mails: links from RENKEI_SITE_URL, sent by the task worker."""
        site = SimpleNamespace(
            name=gettext("23 Wards Nationwide Collaboration Project"),
            domain=urlsplit(settings.SITE_URL).netloc,
        )
        context = {**context, "current_site": site, "site_url": settings.SITE_URL}
        # Rendered now, sent by the task worker like every other mail: with
        # the mail server down, a password reset or an address confirmation
        # still answers, and the mail goes once the server is back (the task
        # commits with the request, so a failed request mails nothing).
        message = self.render_mail(template_prefix, email, context)
        tasks.send_mail.enqueue(
            to=list(message.to), subject=message.subject, body=message.body
        )

    def get_reset_password_from_key_url(self, key):
        return on_site(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request, emailconfirmation):
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def send_account_already_exists_mail(self, email):
        context = {"password_reset_url": site_link(reverse("account_reset_password"))}
        self.send_mail("account/email/account_already_exists", email, context)
