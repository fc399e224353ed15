"""Who may do what. The only module that looks at roles (groups) and flags.

Roles are Django groups created by a data migration; their names are fixed.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from .models import MembershipStatus, Organisation, User

MEMBER_STAFF = "member_staff"
WARD_STAFF = "ward_staff"
OFFICE_STAFF = "office_staff"

ROLE_LABELS = {
    MEMBER_STAFF: _("Member staff"),
    WARD_STAFF: _("Ward staff"),
    OFFICE_STAFF: _("Office staff"),
}

# Reading the boards and handling reports of posts, for ward staff and the
# office alike.
_BOARDS_MODERATION = [
    "boards.view_thread",
    "boards.change_thread",
    "boards.view_post",
    "boards.view_attachment",
    "boards.view_report",
    "boards.change_report",
    "boards.view_moderationlog",
    # Each moderator's own choice of report mail (boards.admin).
    "boards.view_moderatormailsetting",
    "boards.change_moderatormailsetting",
]

# Model permissions each role gets in Django admin, kept in step with the
# groups after every migrate (members.apps).
ROLE_MODEL_PERMISSIONS = {
    MEMBER_STAFF: [],
    WARD_STAFF: [
        "members.view_organisation",
        "boards.view_category",
        *_BOARDS_MODERATION,
        "disaster_support.view_disaster",
        "disaster_support.view_worktype",
        "disaster_support.view_helprequest",
        "disaster_support.view_offer",
        "disaster_support.view_dispatch",
        # Not seats: names of the people sent are for their own ward and
        # the office only (disaster_support.permissions).
        "disaster_support.view_supportmoney",
        "disaster_support.view_supportgoods",
        "disaster_support.view_agreement",
    ],
    OFFICE_STAFF: [
        "members.view_organisation",
        "members.add_organisation",
        "members.change_organisation",
        "members.view_user",
        "members.add_user",
        "members.change_user",
        "members.view_membershipapplication",
        "members.change_membershipapplication",
        "members.view_contactchange",
        "members.view_membershipchange",
        "members.view_accesschange",
        "members.view_profilechange",
        "members.change_profilechange",
        "members.view_signinevent",
        "members.view_directorysettings",
        "members.change_directorysettings",
        "boards.view_category",
        "boards.view_inquiry",
        "boards.add_category",
        "boards.change_category",
        "boards.delete_category",
        # Groups of organisations that categories can be opened to.
        "boards.view_organisationgroup",
        "boards.add_organisationgroup",
        "boards.change_organisationgroup",
        "boards.delete_organisationgroup",
        *_BOARDS_MODERATION,
        # The log of received mail: the office looks into refusals.
        "boards.view_inboundmail",
        # The yearly list of realised collaborations (boards.exports).
        "boards.view_proposal",
        "boards.change_proposal",
        "boards.view_realisedcollaboration",
        "boards.add_realisedcollaboration",
        "boards.change_realisedcollaboration",
        "boards.delete_realisedcollaboration",
        *(
            f"disaster_support.{action}_{model}"
            for model in [
                "disaster",
                "worktype",
                "helprequest",
                "offer",
                "dispatch",
                "seat",
                "supportmoney",
                "supportgoods",
                "agreement",
                "receptionplan",
                "receptionneed",
                "receptionsite",
                "receptionpartner",
            ]
            for action in ["view", "add", "change", "delete"]
        ),
        "disaster_support.view_changelog",
        # 復興支援金 by damage points: allocations are frozen on the site, so
        # admin only reads them and corrects the decision's reference.
        *(
            f"disaster_support.{action}_{model}"
            for model in ["damageweights", "damagefigures"]
            for action in ["view", "add", "change", "delete"]
        ),
        "disaster_support.view_allocation",
        "disaster_support.change_allocation",
        "disaster_support.view_allocationline",
    ],
}


def remember_roles(user, names):
    """Keep role names already loaded with the user (see members.backends)."""
    user._renkei_roles = frozenset(names) & frozenset(ROLE_LABELS)


def roles_of(user):
    """The role names of a user, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_renkei_roles", None)
    if cached is None:
        cached = frozenset(
            user.groups.filter(name__in=ROLE_LABELS).values_list("name", flat=True)
        )
        user._renkei_roles = cached
    return cached


def is_office_staff(user):
    """Office staff (事務局) may do everything; so may a superuser."""
    return user.is_authenticated and (
        user.is_superuser or OFFICE_STAFF in roles_of(user)
    )


def is_ward_staff(user):
    """Ward staff moderate the board for the 23 wards."""
    return user.is_authenticated and WARD_STAFF in roles_of(user)


def is_special_ward(organisation):
    """One of the 23 special wards (特別区)."""
    return organisation.kind == Organisation.Kind.SPECIAL_WARD


def is_special_ward_staff(user):
    """Ward staff working for one of the 23 special wards, who act for it."""
    return is_ward_staff(user) and is_special_ward(user.organisation)


def can_use_admin(user):
    """Ward and office staff work in Django admin; members never do."""
    return user.is_active and (is_office_staff(user) or is_ward_staff(user))


def must_use_two_factor(user):
    """Ward and office staff must sign in with a second factor."""
    return settings.RENKEI_REQUIRE_STAFF_MFA and can_use_admin(user)


WARD_ROLE_ERROR = _("Only staff of one of the 23 special wards can be ward staff.")


def role_fits_organisation(role, organisation):
    """Ward staff must work for one of the 23 special wards."""
    return role != WARD_STAFF or is_special_ward(organisation)


def can_use_members_area(user):
    """Active accounts of member organisations; staff of the office always."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.organisation.is_member or is_office_staff(user)


def office_hears_of_changes_by(user) -> bool:
    """Whether the office is told of a change this person made: not its own."""
    return user is not None and not is_office_staff(user)


def can_edit_organisation(user, organisation):
    """An organisation's own staff and the office edit its details and staff."""
    return can_use_members_area(user) and (
        user.organisation_id == organisation.pk or is_office_staff(user)
    )


def profile_needs_approval(user, directory_settings):
    """Whether an introduction this person writes waits for the office:
    only when the office has switched approval on, and never its own."""
    return directory_settings.approve_profiles and not is_office_staff(user)


def can_see_contact_history(user, organisation):
    """The office sees every history; an organisation sees its own."""
    return can_edit_organisation(user, organisation)


def visible_contact_fields(user, organisation, directory_settings):
    """Contact fields a user may see on an organisation's directory page."""
    if (
        is_office_staff(user)
        or is_ward_staff(user)
        or (user.organisation_id == organisation.pk)
    ):
        return list(Organisation.CONTACT_FIELDS)
    return directory_settings.visible_fields()


def _in_role(*roles):
    return Exists(
        User.groups.through.objects.filter(user=OuterRef("pk"), group__name__in=roles)
    )


def members_area_users(users):
    """The set-based can_use_members_area, for thousands of people at once."""
    return users.filter(
        Q(organisation__membership_status=MembershipStatus.MEMBER)
        | Q(is_superuser=True)
        | Q(_in_role(OFFICE_STAFF)),
        is_active=True,
    )


def moderator_users(users):
    """The set-based ward-or-office-staff test."""
    return users.filter(Q(is_superuser=True) | Q(_in_role(OFFICE_STAFF, WARD_STAFF)))


def users_in_role(users, role):
    """The people among users who hold role (one of ROLE_LABELS)."""
    return users.filter(_in_role(role))


def office_staff_users(users):
    """The set-based is_office_staff, for the active office staff to mail."""
    return users_in_role(users, OFFICE_STAFF).filter(is_active=True)


def access_organisation(user: User, pk: int) -> Organisation:
    """The organisation `pk` for one who may edit it (its staff, the office).

    Raises Http404 both when it does not exist and when the user may not
    edit it, so that pages do not tell which organisations exist.
    """
    organisation = get_object_or_404(Organisation.objects.with_prefecture(), pk=pk)
    if not can_edit_organisation(user, organisation):
        raise Http404
    return organisation
