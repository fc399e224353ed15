from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from . import permissions
from .models import User


def group_permissions_sync():
    """Give each role's group exactly the model permissions listed for it."""
    for role, codes in permissions.ROLE_MODEL_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for code in codes:
            app_label, codename = code.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))


@transaction.atomic
def user_set_role(*, user, role):
    """Give a person exactly one role; ward staff must belong to a ward."""
    if role not in permissions.ROLE_LABELS:
        raise ValueError(f"Unknown role {role!r}")
    if not permissions.role_fits_organisation(role, user.organisation):
        raise ValidationError(permissions.WARD_ROLE_ERROR, code="not_a_ward")
    others = Group.objects.filter(name__in=permissions.ROLE_LABELS).exclude(name=role)
    user.groups.remove(*others)
    user.groups.add(Group.objects.get(name=role))
    user.__dict__.pop("_renkei_roles", None)
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
):
    """Create an account in an organisation with one role.

    Only an address already proven to reach the person may be marked
    verified; otherwise allauth asks for confirmation at first sign-in.
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
    user_set_role(user=user, role=role)
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=email_verified
    )
    return user
