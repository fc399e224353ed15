from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import caches
from django.db.models import OuterRef

from . import permissions
from .common import changes

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
        User = get_user_model()
        try:
            return (
                User._default_manager.select_related("organisation__prefecture")
                # A subquery, not an aggregate over a join: no GROUP BY of
                # every column of the user and organisation on each request.
                .annotate(
                    role_names=ArraySubquery(
                        Group.objects.filter(
                            user=OuterRef("pk"), name__in=list(permissions.ROLE_LABELS)
                        ).values("name")
                    )
                )
                .get(pk=user_id)
            )
        except User.DoesNotExist:
            return None
