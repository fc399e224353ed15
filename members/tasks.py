"""Background work: e-mail is sent by the task worker, never in a request.

The queue stores each task by its path here (members.tasks.send_mail, ...),
so these names stay. Services queue these tasks; the tasks use nothing that
queues work but this module, so there is no import loop.
"""

from datetime import datetime

from django.core.mail import mailers
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .common.eras import fiscal_year, fiscal_year_start
from .models import Organisation
from .services.mail import mail_build, mail_render


@task
def send_mail(*, to, subject, body, reply_to=None, headers=None):
    """Send a plain-text mail, one message per address (mail_build).

    Raises (and so fails the task) if SMTP does.
    """
    messages = mail_build(
        to=to, subject=subject, body=body, reply_to=reply_to or (), headers=headers
    )
    if messages:
        mailers.default.send_messages(messages)


def mail_send(*, to, template: str, context: dict, headers=None) -> None:
    """Render a mail now and hand it to the task worker to send.

    ``headers`` are extra header fields (e.g. In-Reply-To), as strings.
    """
    subject, body = mail_render(template=template, context=context)
    send_mail.enqueue(to=list(to), subject=subject, body=body, headers=headers)


def mail_send_on_commit(
    *, to: list[str], template: str, context: dict, headers=None
) -> None:
    """Send a mail once the current transaction commits, never for a rollback."""
    transaction.on_commit(
        lambda: mail_send(to=to, template=template, context=context, headers=headers)
    )


@task
def send_confirmation_reminders(*, organisation_ids, requested_at=None):
    """Remind each organisation to confirm its contact details."""
    confirmation_reminders_deliver(
        organisation_ids=organisation_ids, requested_at=requested_at
    )


def confirmation_reminders_deliver(
    *, organisation_ids: list[int], requested_at: str | None = None
) -> None:
    """Mail each organisation's active staff (and contact address) a reminder.

    Organisations reminded since `requested_at` are skipped, so a run that
    is repeated (its worker died) reminds nobody twice.
    """
    start = fiscal_year_start(fiscal_year(timezone.now()))
    organisations = (
        Organisation.objects.unconfirmed_in(start)
        .filter(pk__in=organisation_ids)
        .with_prefecture()
    )
    if requested_at is not None:
        organisations = organisations.exclude(
            confirmation_reminded_at__gte=datetime.fromisoformat(requested_at)
        )
    for organisation in organisations:
        addresses = set(
            organisation.staff.filter(is_active=True).values_list("email", flat=True)
        )
        if organisation.contact_email:
            addresses.add(organisation.contact_email)
        if not addresses:
            continue
        # The queued mail and the mark go in together, or neither does.
        with transaction.atomic():
            mail_send(
                to=sorted(addresses),
                template="members/email/confirmation_reminder",
                context={"organisation": organisation, "year": fiscal_year(start)},
            )
            Organisation.objects.filter(pk=organisation.pk).update(
                confirmation_reminded_at=timezone.now()
            )
