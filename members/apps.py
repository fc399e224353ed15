from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_permissions(sender, **kwargs):
    # Permission rows are made after each app's migrations, so the role
    # groups get theirs here, after every app, rather than in a migration.
    from .services import group_permissions_sync

    group_permissions_sync()


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        post_migrate.connect(_sync_role_permissions)
