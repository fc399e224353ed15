from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_permissions(sender, **kwargs):
    # Permission rows are made after each app's migrations, so the role
    # groups get theirs here, after every app, rather than in a migration.
    from .services.accounts import group_permissions_sync

    group_permissions_sync()


def _verify_address_after_reset(sender, request, user, **kwargs):
    from .services.accounts import email_verify_after_password_setup

    email_verify_after_password_setup(user=user)


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        from allauth.account.signals import password_reset
        from allauth.mfa.signals import authentication_failed
        from django.contrib.auth import signals as auth_signals
        from django.core import checks
        from django.tasks.signals import task_started

        from config import media

        from . import permissions, sign_ins
        from .common import changes, workers
        from .models import User

        # Django admin lets a user in by is_staff; who that is, is a rule of
        # members.permissions (models cannot import it: it imports models).
        User.is_staff = property(
            permissions.can_use_admin, doc="Django admin access (can_use_admin)."
        )

        post_migrate.connect(_sync_role_permissions)
        # After every migrate, so that new tables are counted too.
        post_migrate.connect(changes.install_triggers, sender=self)
        # A task worker shows it is alive, so that its tasks are not queued
        # again while it runs them (workers.requeue_lost_tasks).
        task_started.connect(workers.hold_worker_lock)
        # New accounts get their first password through a mailed reset link.
        password_reset.connect(_verify_address_after_reset)
        auth_signals.user_logged_in.connect(sign_ins.on_logged_in)
        auth_signals.user_login_failed.connect(sign_ins.on_login_failed)
        auth_signals.user_logged_out.connect(sign_ins.on_logged_out)
        authentication_failed.connect(sign_ins.on_mfa_failed)
        # check --deploy asks the object store whether the media bucket is
        # private (only then: it is a network call).
        checks.register(media.check_bucket_private, checks.Tags.security, deploy=True)
