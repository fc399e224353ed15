from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_permissions(sender, **kwargs):
    # Permission rows are made after each app's migrations, so the role
    # groups get theirs here, after every app, rather than in a migration.
    from .services import group_permissions_sync

    group_permissions_sync()


def _verify_address_after_reset(sender, request, user, **kwargs):
    from .services import email_verify_after_password_setup

    email_verify_after_password_setup(user=user)


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        from allauth.account.signals import password_reset

        post_migrate.connect(_sync_role_permissions)
        # New accounts get their first password through a mailed reset link.
        password_reset.connect(_verify_address_after_reset)
