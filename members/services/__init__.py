"""Writes to member data: accounts, applications, status and contacts.

The member-list import, planned by members.csv_io, is written by
members.services.imports.
"""

from datetime import datetime, timedelta

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions, tasks
from ..common.eras import fiscal_year, fiscal_year_start, format_fiscal_year
from ..common.versioning import version_check
from ..models import (
    AccessChange,
    ContactChange,
    MembershipApplication,
    MembershipChange,
    MembershipStatus,
    Organisation,
    User,
)


def group_permissions_sync():
    """Give each role's group exactly the model permissions listed for it."""
    for role, codes in permissions.ROLE_MODEL_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for code in codes:
            app_label, codename = code.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))


# ----- mail -----


def mail_send(*, to, template, context):
    """Render a mail now and hand it to the task worker to send."""
    context = {"site_url": settings.SITE_URL, **context}
    # One line: a name with a line break must not break the mail header.
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_message.txt", context)
    tasks.send_mail.enqueue(
        to=list(to), subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body=body
    )


def office_addresses():
    """E-mail addresses of the active office staff."""
    return list(
        User.objects.filter(
            is_active=True, groups__name=permissions.OFFICE_STAFF
        ).values_list("email", flat=True)
    )


def site_link(path):
    """An absolute link for a mail: RENKEI_SITE_URL, never the request's Host."""
    return settings.SITE_URL + path


def password_setup_url(user):
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


# ----- accounts -----


def _access_change_record(*, user, field, old, new, changed_by):
    """Put a change of what someone may do in the record, if it is one."""
    if old != new:
        AccessChange.objects.create(
            user=user, field=field, old_value=old, new_value=new, changed_by=changed_by
        )


def _yes_no(flag):
    return AccessChange.YES if flag else AccessChange.NO


@transaction.atomic
def user_set_role(*, user, role, changed_by):
    """Give a person exactly one role; ward staff must belong to a ward.

    A new role is recorded with who gave it (None: the system or the
    command line).
    """
    if role not in permissions.ROLE_LABELS:
        raise ValueError(f"Unknown role {role!r}")
    if not permissions.role_fits_organisation(role, user.organisation):
        raise ValidationError(permissions.WARD_ROLE_ERROR, code="not_a_ward")
    old = ", ".join(
        sorted(
            user.groups.filter(name__in=permissions.ROLE_LABELS).values_list(
                "name", flat=True
            )
        )
    )
    others = Group.objects.filter(name__in=permissions.ROLE_LABELS).exclude(name=role)
    user.groups.remove(*others)
    user.groups.add(Group.objects.get(name=role))
    user.__dict__.pop("_renkei_roles", None)
    _access_change_record(
        user=user,
        field=AccessChange.Field.ROLE,
        old=old,
        new=role,
        changed_by=changed_by,
    )
    return user


@transaction.atomic
def user_set_superuser(*, user, is_superuser, changed_by):
    """Give or take away every permission, recording who did it."""
    old = user.is_superuser
    user.is_superuser = is_superuser
    user.save(update_fields=["is_superuser"])
    _access_change_record(
        user=user,
        field=AccessChange.Field.SUPERUSER,
        old=_yes_no(old),
        new=_yes_no(is_superuser),
        changed_by=changed_by,
    )
    return user


@transaction.atomic
def user_create(
    *,
    email,
    display_name,
    organisation,
    role=permissions.MEMBER_STAFF,
    department="",
    password=None,
    email_verified=False,
    created_by=None,
):
    """Create an account in an organisation with one role.

    Only an address already proven to reach the person may be marked
    verified; otherwise allauth asks for confirmation at first sign-in.
    created_by is recorded as who gave the role (None: the system).
    """
    user = User(
        email=User.objects.normalize_email(email),
        display_name=display_name,
        department=department,
        organisation=organisation,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    user_set_role(user=user, role=role, changed_by=created_by)
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=email_verified
    )
    return user


def email_verify_after_password_setup(*, user):
    """Setting a password through a mailed link proves the address works."""
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
        verified=True
    )


@transaction.atomic
def staff_invite(
    *,
    organisation,
    email,
    display_name,
    department,
    invited_by,
    role=permissions.MEMBER_STAFF,
):
    """Add a person to an organisation and mail them a set-your-password link.

    An address that already has an account gets a notice instead, and None
    is returned: the inviter is answered alike in both cases.
    """
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        context = {
            "owner": owner,
            "invited_by": invited_by,
            "organisation": organisation,
        }
        transaction.on_commit(
            lambda: mail_send(
                to=[owner.email],
                template="members/email/invitation_address_in_use",
                context=context,
            )
        )
        return None
    user = user_create(
        email=email,
        display_name=display_name,
        department=department,
        organisation=organisation,
        role=role,
        created_by=invited_by,
    )
    context = {"user": user, "invited_by": invited_by, "url": password_setup_url(user)}
    transaction.on_commit(
        lambda: mail_send(
            to=[user.email], template="members/email/invitation", context=context
        )
    )
    return user


@transaction.atomic
def staff_reactivate(*, user, reactivated_by):
    """Turn an account back on, e.g. for someone who returned."""
    was_active = user.is_active
    user.is_active = True
    user.save(update_fields=["is_active"])
    _access_change_record(
        user=user,
        field=AccessChange.Field.ACTIVE,
        old=_yes_no(was_active),
        new=AccessChange.YES,
        changed_by=reactivated_by,
    )
    return user


@transaction.atomic
def staff_deactivate(*, user, deactivated_by):
    """Turn off the account of someone who left; their posts stay.

    An organisation always keeps at least one active account.
    """
    organisation = Organisation.objects.select_for_update().get(pk=user.organisation_id)
    others = organisation.staff.filter(is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise ValidationError(
            _("%(name)s is the last active account of this organisation.")
            % {"name": user.display_name},
            code="last_active",
        )
    was_active = user.is_active
    user.is_active = False
    user.save(update_fields=["is_active"])
    _access_change_record(
        user=user,
        field=AccessChange.Field.ACTIVE,
        old=_yes_no(was_active),
        new=AccessChange.NO,
        changed_by=deactivated_by,
    )
    for session in UserSession.objects.filter(user=user):
        session.end()
    return user


# ----- membership -----


@transaction.atomic
def organisation_set_status(*, organisation, status, changed_by, reason=""):
    """Move an organisation's membership on, recording who did it and why."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    old_status = organisation.membership_status
    if old_status == status:
        return organisation
    organisation.membership_status = status
    if status == MembershipStatus.MEMBER and organisation.joined_on is None:
        organisation.joined_on = timezone.localdate()
    organisation.save(update_fields=["membership_status", "joined_on"])
    MembershipChange.objects.create(
        organisation=organisation,
        old_status=old_status,
        new_status=status,
        reason=reason,
        changed_by=changed_by,
    )
    return organisation


def application_refusal(organisation):
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


def application_confirm_url(application):
    """The mailed link with which an applicant confirms the address."""
    token = signing.dumps(application.pk, salt=APPLICATION_CONFIRM_SALT)
    return site_link(reverse("join_confirm", args=[token]))


def application_from_token(token):
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
    *, organisation, department, contact_person, email, phone, purpose=""
):
    """Take an application and mail its address a link to confirm it.

    Until confirmed, the office does not see it and it blocks nobody. An
    address that already has an account gets a notice instead and no
    application is made; the applicant is answered alike in both cases.
    """
    refusal = application_refusal(organisation)
    if refusal:
        raise ValidationError(refusal, code="cannot_apply")
    email = User.objects.normalize_email(email)
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        context = {"owner": owner, "organisation": organisation}
        transaction.on_commit(
            lambda: mail_send(
                to=[owner.email],
                template="members/email/application_address_in_use",
                context=context,
            )
        )
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
    context = {"application": application, "url": application_confirm_url(application)}
    transaction.on_commit(
        lambda: mail_send(
            to=[application.email],
            template="members/email/application_confirm",
            context=context,
        )
    )
    return application


@transaction.atomic
def application_confirm(*, application):
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
    refusal = application_refusal(organisation)
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
    organisation_set_status(
        organisation=organisation,
        status=MembershipStatus.APPLIED,
        changed_by=None,
        reason=_("Applied online by %(person)s (%(email)s)")
        % {"person": application.contact_person, "email": application.email},
    )
    context = {"application": application}
    transaction.on_commit(
        lambda: (
            mail_send(
                to=office_addresses(),
                template="members/email/application_received",
                context=context,
            ),
            mail_send(
                to=[application.email],
                template="members/email/application_acknowledged",
                context=context,
            ),
        )
    )
    return application


def _decide(application, decided_by):
    application = MembershipApplication.objects.select_for_update().get(
        pk=application.pk
    )
    if application.status != MembershipApplication.Status.PENDING:
        raise ValidationError(
            _("This application has already been decided."), code="decided"
        )
    application.decided_by = decided_by
    application.decided_at = timezone.now()
    return application


@transaction.atomic
def application_approve(*, application, decided_by):
    """Make the organisation a member and give the applicant an account."""
    application = _decide(application, decided_by)
    organisation = application.organisation
    if User.objects.filter(email__iexact=application.email).exists():
        raise ValidationError(
            _("An account with this e-mail address already exists."),
            code="email_in_use",
        )
    application.status = MembershipApplication.Status.APPROVED
    application.save(update_fields=["status", "decided_by", "decided_at"])
    organisation_set_status(
        organisation=organisation,
        status=MembershipStatus.MEMBER,
        changed_by=decided_by,
        reason=_("Application approved"),
    )
    organisation_update_contact(
        organisation=organisation,
        changed_by=decided_by,
        changes={
            "department": application.department,
            "contact_person": application.contact_person,
            "contact_email": application.email,
            "phone": application.phone,
        },
        notify=False,
    )
    user = user_create(
        email=application.email,
        display_name=application.contact_person,
        department=application.department,
        organisation=organisation,
        created_by=decided_by,
    )
    context = {
        "user": user,
        "organisation": organisation,
        "url": password_setup_url(user),
    }
    transaction.on_commit(
        lambda: mail_send(
            to=[user.email],
            template="members/email/application_approved",
            context=context,
        )
    )
    return user


@transaction.atomic
def application_reject(*, application, decided_by, reason):
    """Turn an application down and tell the applicant why."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for rejecting."), code="no_reason")
    application = _decide(application, decided_by)
    application.status = MembershipApplication.Status.REJECTED
    application.rejection_reason = reason
    application.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason"]
    )
    organisation_set_status(
        organisation=application.organisation,
        status=MembershipStatus.NONE,
        changed_by=decided_by,
        reason=reason,
    )
    context = {"application": application}
    transaction.on_commit(
        lambda: mail_send(
            to=[application.email],
            template="members/email/application_rejected",
            context=context,
        )
    )
    return application


# ----- contact details -----


@transaction.atomic
def organisation_update_contact(
    *, organisation, changed_by, changes, version=None, notify=True
):
    """Change contact details, recording each changed field.

    With `version`, refuses when someone saved in between. Changes made by
    the organisation's own staff are mailed to the office.
    """
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if version is not None:
        version_check(
            locked,
            version,
            field="contact_version",
            message=_(
                "Someone else changed these details while you were editing. "
                "Check the current details and enter your changes again."
            ),
        )
    unknown = set(changes) - set(Organisation.CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"Not contact fields: {sorted(unknown)}")
    records = []
    for field, new_value in changes.items():
        old_value = getattr(locked, field)
        if old_value == new_value:
            continue
        setattr(locked, field, new_value)
        records.append(
            ContactChange(
                organisation=locked,
                field=field,
                old_value=old_value,
                new_value=new_value,
                changed_by=changed_by,
            )
        )
    if not records:
        return locked
    locked.full_clean()
    locked.contact_version = F("contact_version") + 1
    locked.save(update_fields=[*changes, "contact_version"])
    locked.refresh_from_db(fields=["contact_version"])
    ContactChange.objects.bulk_create(records)
    if (
        notify
        and changed_by is not None
        and not permissions.is_office_staff(changed_by)
    ):
        context = {"organisation": locked, "changes": records, "changed_by": changed_by}
        transaction.on_commit(
            lambda: mail_send(
                to=office_addresses(),
                template="members/email/contact_changed",
                context=context,
            )
        )
    return locked


@transaction.atomic
def organisation_confirm_contact(*, organisation, confirmed_by):
    """Record that the details are current for this fiscal year."""
    organisation.contact_confirmed_at = timezone.now()
    organisation.save(update_fields=["contact_confirmed_at"])
    ContactChange.objects.create(
        organisation=organisation,
        field="contact_confirmed_at",
        old_value="",
        new_value=_("Confirmed for %(year)s")
        % {"year": format_fiscal_year(fiscal_year(timezone.now()))},
        changed_by=confirmed_by,
    )
    return organisation


def confirmation_pending(organisation, *, now=None):
    """True while a member has not confirmed its details this fiscal year."""
    if not organisation.is_member:
        return False
    start = fiscal_year_start(fiscal_year(now or timezone.now()))
    confirmed = organisation.contact_confirmed_at
    return confirmed is None or confirmed < start


def confirmation_reminders_send(*, organisations=None):
    """Queue reminder mails to members that have not confirmed this year.

    Limited to `organisations` when given (the office's selection in admin).
    """
    start = fiscal_year_start(fiscal_year(timezone.now()))
    unconfirmed = Organisation.objects.unconfirmed_in(start)
    if organisations is not None:
        unconfirmed = unconfirmed.filter(pk__in=organisations.values("pk"))
    ids = list(unconfirmed.values_list("pk", flat=True))
    if ids:
        tasks.send_confirmation_reminders.enqueue(
            organisation_ids=ids, requested_at=timezone.now().isoformat()
        )
    return len(ids)


def confirmation_reminders_deliver(*, organisation_ids, requested_at=None):
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
