from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import caches
from django.db.models import OuterRef

from . import permissions
from .common import changes
from .common.prepared import (
    PreparedQuery,
    from_row,
    model_columns,
    related_from_row,
    split_row,
)

# Bumped when what is cached of an account changes shape.
ACCOUNT_CACHE_VERSION = 1


class AuthenticationBackend(AllauthBackend):
    """allauth's e-mail login; loads the organisation and roles with the user."""

    def get_user(self, user_id):
        """The signed-in user with organisation and roles.

        Kept in the "pages" cache (config/cache.py) while the change
        counter's content sum stays the same, so that most requests read one
        small sum instead of the account; any write to accounts,
        organisations or role membership moves the sum (members/common/changes.py).
        """
        if settings.RENKEI_ACCOUNT_CACHE_SECONDS <= 0:
            user = self._load_user(user_id)
            if user is None:
                return None
        else:
            content = changes.content_sum()
            key = f"account:{ACCOUNT_CACHE_VERSION}:{user_id}:{content}"
            user = caches["pages"].get(key)
            if user is None:
                user = self._load_user(user_id)
                if user is None:
                    return None
                caches["pages"].set(key, user, settings.RENKEI_ACCOUNT_CACHE_SECONDS)
        permissions.remember_roles(user, user.role_names)
        return user if self.user_can_authenticate(user) else None

    def _load_user(self, user_id):
        rows = _ACCOUNT.rows(user_id=user_id)
        return _account(rows[0]) if rows else None


def _account_query(user_id):
    User = get_user_model()
    Organisation = User.organisation.field.related_model
    return (
        User._default_manager.filter(pk=user_id)
        # A subquery, not an aggregate over a join: no GROUP BY of every
        # column of the user and organisation on each request.
        .annotate(
            role_names=ArraySubquery(
                Group.objects.filter(
                    user=OuterRef("pk"), name__in=list(permissions.ROLE_LABELS)
                ).values("name")
            )
        )
        .values_list(
            *model_columns(User),
            *model_columns(Organisation, through="organisation__"),
            *model_columns(Organisation, through="organisation__prefecture__"),
            "role_names",
        )
    )


# Read on every request: compiled once per process.
_ACCOUNT = PreparedQuery(_account_query)


def _account(values):
    """The user of an _account_query row, with organisation, prefecture and
    role names, as select_related() and the annotation would give them."""
    User = get_user_model()
    Organisation = User.organisation.field.related_model
    user, organisation, prefecture, (role_names,) = split_row(
        values, User, Organisation, Organisation
    )
    user = from_row(User, None, user)
    organisation = from_row(Organisation, None, organisation)
    organisation.prefecture = related_from_row(Organisation, prefecture)
    user.organisation = organisation
    user.role_names = role_names
    return user
