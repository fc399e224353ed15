"""Applications to join: submit, confirm by mail, approve or reject."""

from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import tasks
from ..models import MembershipApplication, MembershipStatus, Organisation, User
from . import accounts, organisations
from .mail import office_addresses, password_setup_url, site_link


def application_refusal(*, organisation: Organisation) -> str | None:
    """Why an organisation cannot apply now, or None if it can."""
    if organisation.kind == Organisation.Kind.PREFECTURE and not organisation.code:
        return _("This organisation cannot apply.")
    if organisation.membership_status in {
        MembershipStatus.MEMBER,
        MembershipStatus.SUSPENDED,
    }:
        return _(
            "%(name)s is already a member. Ask your colleagues or the office to "
            "invite you."
        ) % {"name": organisation.full_name}
    if organisation.applications.filter(
        status=MembershipApplication.Status.PENDING
    ).exists():
        return _(
            "An application from %(name)s is already waiting for the office's decision."
        ) % {"name": organisation.full_name}
    return None


# A confirmation link works this long; unconfirmed applications older than
# this are deleted.
APPLICATION_CONFIRM_MAX_AGE = timedelta(days=3)


APPLICATION_CONFIRM_SALT = "members.application_confirm"


def application_confirm_url(*, application: MembershipApplication) -> str:
    """The mailed link with which an applicant confirms the address."""
    token = signing.dumps(application.pk, salt=APPLICATION_CONFIRM_SALT)
    return site_link(reverse("join_confirm", args=[token]))


def application_from_token(*, token: str) -> MembershipApplication:
    """The application a confirmation link stands for.

    Raises ValidationError (code "expired" or "invalid") for a link that
    is too old, altered or unknown.
    """
    try:
        pk = signing.loads(
            token,
            salt=APPLICATION_CONFIRM_SALT,
            max_age=APPLICATION_CONFIRM_MAX_AGE,
        )
        return MembershipApplication.objects.select_related(
            "organisation__prefecture"
        ).get(pk=pk)
    except signing.SignatureExpired:
        raise ValidationError(
            _(
                "This confirmation link has expired. Links work for three days: "
                "please fill in the application again."
            ),
            code="expired",
        ) from None
    except (signing.BadSignature, MembershipApplication.DoesNotExist):
        raise ValidationError(
            _(
                "This confirmation link is not valid. Check that the whole link "
                "from the e-mail was opened, or fill in the application again."
            ),
            code="invalid",
        ) from None


@transaction.atomic
def application_submit(
    *,
    organisation: Organisation,
    department: str,
    contact_person: str,
    email: str,
    phone: str,
    purpose: str = "",
) -> MembershipApplication | None:
    """Take an application and mail its address a link to confirm it.

    Until confirmed, the office does not see it and it blocks nobody. An
    address that already has an account gets a notice instead and no
    application is made; the applicant is answered alike in both cases.
    """
    refusal = application_refusal(organisation=organisation)
    if refusal:
        raise ValidationError(refusal, code="cannot_apply")
    email = User.objects.normalize_email(email)
    if accounts.address_owner_notified(
        email=email,
        template="members/email/application_address_in_use",
        context={"organisation": organisation},
    ):
        return None
    MembershipApplication.objects.filter(
        status=MembershipApplication.Status.UNCONFIRMED,
        submitted_at__lt=timezone.now() - APPLICATION_CONFIRM_MAX_AGE,
    ).delete()
    application = MembershipApplication(
        organisation=organisation,
        department=department,
        contact_person=contact_person,
        email=email,
        phone=phone,
        purpose=purpose,
        status=MembershipApplication.Status.UNCONFIRMED,
    )
    application.full_clean()
    application.save()
    context = {
        "application": application,
        "url": application_confirm_url(application=application),
    }
    tasks.mail_send_on_commit(
        to=[application.email],
        template="members/email/application_confirm",
        context=context,
    )
    return application


@transaction.atomic
def application_confirm(*, application: MembershipApplication) -> MembershipApplication:
    """Send a confirmed application on to the office and tell the office.

    Of several applications for one organisation, the first confirmed
    wins; the others are refused as long as it waits or is approved.
    """
    application = MembershipApplication.objects.select_for_update().get(
        pk=application.pk
    )
    if application.status != MembershipApplication.Status.UNCONFIRMED:
        raise ValidationError(
            _("This application has already been sent to the office."),
            code="confirmed",
        )
    organisation = Organisation.objects.select_for_update().get(
        pk=application.organisation_id
    )
    refusal = application_refusal(organisation=organisation)
    if refusal:
        raise ValidationError(refusal, code="cannot_apply")
    # The applicant has just proven the address, so saying so reveals nothing.
    if User.objects.filter(email__iexact=application.email).exists():
        raise ValidationError(
            _("This e-mail address already has an account. Sign in instead."),
            code="email_in_use",
        )
    application.status = MembershipApplication.Status.PENDING
    application.submitted_at = timezone.now()
    application.save(update_fields=["status", "submitted_at"])
    # The applicant has no account yet, so the reason says who applied.
    organisations.organisation_set_status(
        organisation=organisation,
        status=MembershipStatus.APPLIED,
        actor=None,
        reason=_("Applied online by %(person)s (%(email)s)")
        % {"person": application.contact_person, "email": application.email},
    )
    context = {"application": application}
    transaction.on_commit(
        lambda: tasks.mail_send(
            to=office_addresses(),
            template="members/email/application_received",
            context=context,
        )
    )
    tasks.mail_send_on_commit(
        to=[application.email],
        template="members/email/application_acknowledged",
        context=context,
    )
    return application


def _decide(application: MembershipApplication, actor: User) -> MembershipApplication:
    """Lock a waiting application and mark who decides it, and when."""
    application = MembershipApplication.objects.select_for_update().get(
        pk=application.pk
    )
    if application.status != MembershipApplication.Status.PENDING:
        raise ValidationError(
            _("This application has already been decided."), code="decided"
        )
    application.decided_by = actor
    application.decided_at = timezone.now()
    return application


@transaction.atomic
def application_approve(*, application: MembershipApplication, actor: User) -> User:
    """Make the organisation a member and give the applicant an account."""
    application = _decide(application, actor)
    organisation = application.organisation
    if User.objects.filter(email__iexact=application.email).exists():
        raise ValidationError(
            _("An account with this e-mail address already exists."),
            code="email_in_use",
        )
    application.status = MembershipApplication.Status.APPROVED
    application.save(update_fields=["status", "decided_by", "decided_at"])
    organisations.organisation_set_status(
        organisation=organisation,
        status=MembershipStatus.MEMBER,
        actor=actor,
        reason=_("Application approved"),
    )
    organisations.organisation_update_contact(
        organisation=organisation,
        actor=actor,
        changes={
            "department": application.department,
            "contact_person": application.contact_person,
            "contact_email": application.email,
            "phone": application.phone,
        },
        notify=False,
    )
    user = accounts.user_create(
        email=application.email,
        display_name=application.contact_person,
        department=application.department,
        organisation=organisation,
        actor=actor,
    )
    context = {
        "user": user,
        "organisation": organisation,
        "url": password_setup_url(user=user),
    }
    tasks.mail_send_on_commit(
        to=[user.email], template="members/email/application_approved", context=context
    )
    return user


@transaction.atomic
def application_reject(
    *, application: MembershipApplication, actor: User, reason: str
) -> MembershipApplication:
    """Turn an application down and tell the applicant why."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for rejecting."), code="no_reason")
    application = _decide(application, actor)
    application.status = MembershipApplication.Status.REJECTED
    application.rejection_reason = reason
    application.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason"]
    )
    organisations.organisation_set_status(
        organisation=application.organisation,
        status=MembershipStatus.NONE,
        actor=actor,
        reason=reason,
    )
    context = {"application": application}
    tasks.mail_send_on_commit(
        to=[application.email],
        template="members/email/application_rejected",
        context=context,
    )
    return application
