"""Background work: e-mail is sent by the task worker, never in a request."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task


@task
def send_mail(*, to, subject, body, reply_to=None):
    """Send one plain-text mail; raises (and so fails the task) if SMTP does."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to or None,
    )
    message.send()


@task
def send_confirmation_reminders(*, organisation_ids, requested_at=None):
    """Remind each organisation to confirm its contact details."""
    from . import services

    services.confirmation_reminders_deliver(
        organisation_ids=organisation_ids, requested_at=requested_at
    )
