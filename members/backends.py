from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model


class AuthenticationBackend(AllauthBackend):
    """allauth's e-mail login; loads the organisation with the user."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("organisation__prefecture").get(
                pk=user_id
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
