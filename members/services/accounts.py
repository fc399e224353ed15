"""Accounts: creating, inviting, roles, and turning accounts on and off."""

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .. import permissions, tasks
from ..models import AccessChange, Organisation, User
from ..signals import staff_handed_over
from .mail import password_setup_url


def group_permissions_sync() -> None:
    """Give each role's group exactly the model permissions listed for it."""
    for role, codes in permissions.ROLE_MODEL_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for code in codes:
            app_label, codename = code.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))


def _access_change_record(
    *, user: User, field: str, old: str, new: str, actor: User | None
) -> None:
    """Put a change of what someone may do in the record, if it is one."""
    if old != new:
        AccessChange.objects.create(
            user=user, field=field, old_value=old, new_value=new, changed_by=actor
        )


def _yes_no(flag: bool) -> str:
    """A flag as the access record writes it."""
    return AccessChange.YES if flag else AccessChange.NO


# The account's on/off switches and how the access record names them.
_FLAG_FIELDS = {
    "is_active": AccessChange.Field.ACTIVE,
    "is_superuser": AccessChange.Field.SUPERUSER,
}


def _set_flag(*, user: User, name: str, value: bool, actor: User | None) -> User:
    """Switch is_active or is_superuser and record who did it."""
    old = getattr(user, name)
    setattr(user, name, value)
    user.save(update_fields=[name])
    _access_change_record(
        user=user,
        field=_FLAG_FIELDS[name],
        old=_yes_no(old),
        new=_yes_no(value),
        actor=actor,
    )
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None) -> User:
    """Give a person exactly one role; ward staff must belong to a ward.

    A new role is recorded with who gave it, `actor` (None: the system or
    the command line).
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
        actor=actor,
    )
    return user


@transaction.atomic
def user_set_superuser(*, user: User, is_superuser: bool, actor: User | None) -> User:
    """Give or take away every permission, recording who did it."""
    return _set_flag(user=user, name="is_superuser", value=is_superuser, actor=actor)


@transaction.atomic
def user_create(
    *,
    email: str,
    display_name: str,
    organisation: Organisation,
    role: str = permissions.MEMBER_STAFF,
    department: str = "",
    password: str | None = None,
    email_verified: bool = False,
    actor: User | None = None,
) -> User:
    """Create an account in an organisation with one role.

    Only an address already proven to reach the person may be marked
    verified; otherwise allauth asks for confirmation at first sign-in.
    `actor` is recorded as who gave the role (None: the system).
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
    user_set_role(user=user, role=role, actor=actor)
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=email_verified
    )
    return user


def email_verify_after_password_setup(*, user: User) -> None:
    """Setting a password through a mailed link proves the address works."""
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
        verified=True
    )


def address_owner_notified(*, email: str, template: str, context: dict) -> bool:
    """If an account already has this address, mail its owner a notice
    (`context` plus "owner") and say so.

    For forms that answer alike whether or not the address is taken.
    """
    owner = User.objects.filter(email__iexact=email).first()
    if owner is None:
        return False
    tasks.mail_send_on_commit(
        to=[owner.email], template=template, context={"owner": owner, **context}
    )
    return True


@transaction.atomic
def staff_invite(
    *,
    organisation: Organisation,
    email: str,
    display_name: str,
    department: str,
    actor: User,
    role: str = permissions.MEMBER_STAFF,
) -> User | None:
    """Add a person to an organisation and mail them a set-your-password link.

    An address that already has an account gets a notice instead, and None
    is returned: the inviter is answered alike in both cases.
    """
    if address_owner_notified(
        email=email,
        template="members/email/invitation_address_in_use",
        context={"invited_by": actor, "organisation": organisation},
    ):
        return None
    user = user_create(
        email=email,
        display_name=display_name,
        department=department,
        organisation=organisation,
        role=role,
        actor=actor,
    )
    context = {"user": user, "invited_by": actor, "url": password_setup_url(user=user)}
    tasks.mail_send_on_commit(
        to=[user.email], template="members/email/invitation", context=context
    )
    return user


@transaction.atomic
def staff_reactivate(*, user: User, actor: User) -> User:
    """Turn an account back on, e.g. for someone who returned."""
    return _set_flag(user=user, name="is_active", value=True, actor=actor)


def handover_check(*, user: User, successor: User) -> None:
    """A leaver's work goes to an active colleague of the same organisation."""
    if successor.pk == user.pk:
        raise ValidationError(
            _("%(name)s cannot hand over to themselves.") % {"name": user.display_name},
            code="same_person",
        )
    if successor.organisation_id != user.organisation_id:
        raise ValidationError(
            _("%(name)s belongs to another organisation.")
            % {"name": successor.display_name},
            code="other_organisation",
        )
    if not successor.is_active:
        raise ValidationError(
            _("The account of %(name)s is turned off.")
            % {"name": successor.display_name},
            code="successor_inactive",
        )


@transaction.atomic
def staff_hand_over(*, user: User, successor: User, actor: User) -> dict[str, int]:
    """Pass a leaver's follows and unread notifications to a colleague, and
    record who handed over to whom, when and by whom.

    What the organisation owns (its threads, their answers and status,
    events and inquiries) needs no hand-over: every colleague acts for it.
    """
    handover_check(user=user, successor=successor)
    counts = {}
    for _receiver, handed_over in staff_handed_over.send(
        sender=User, leaver=user, successor=successor
    ):
        counts.update(handed_over)
    AccessChange.objects.create(
        user=user,
        field=AccessChange.Field.HANDOVER,
        old_value=user.email,
        new_value=successor.email,
        changed_by=actor,
    )
    return counts


@transaction.atomic
def staff_deactivate(
    *, user: User, actor: User | None, successor: User | None = None
) -> User:
    """Turn off the account of someone who left; their posts stay.

    With a successor, the leaver's follows and open notifications go to that
    colleague first (staff_hand_over). The leaver's sessions end at once.
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
    if successor is not None:
        staff_hand_over(user=user, successor=successor, actor=actor)
    _set_flag(user=user, name="is_active", value=False, actor=actor)
    for session in UserSession.objects.filter(user=user):
        session.end()
    return user
