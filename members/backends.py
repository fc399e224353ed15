from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q, Value

from . import permissions


class AuthenticationBackend(AllauthBackend):
    """allauth's e-mail login; loads the organisation and roles with the user."""

    def get_user(self, user_id):
        """The signed-in user with organisation and roles, in one query."""
        User = get_user_model()
        try:
            user = (
                User._default_manager.select_related("organisation__prefecture")
                .annotate(
                    role_names=ArrayAgg(
                        "groups__name",
                        filter=Q(groups__name__in=list(permissions.ROLE_LABELS)),
                        default=Value([]),
                    )
                )
                .get(pk=user_id)
            )
        except User.DoesNotExist:
            return None
        permissions.remember_roles(user, user.role_names)
        return user if self.user_can_authenticate(user) else None
