from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_local_government_code


class Organisation(models.Model):
    """A local government or other body taking part in the project."""

    class Kind(models.TextChoices):
        PREFECTURE = "prefecture", _("Prefecture")
        CITY = "city", _("City")
        TOWN = "town", _("Town")
        VILLAGE = "village", _("Village")
        SPECIAL_WARD = "special_ward", _("Special ward")
        BODY = "body", _("Organisation")

    code = models.CharField(
        _("local government code"),
        max_length=6,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_local_government_code],
    )
    name = models.CharField(_("name"), max_length=100)
    kana = models.CharField(_("name in kana"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    prefecture = models.ForeignKey(
        "self",
        verbose_name=_("prefecture"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Kind.PREFECTURE},
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code", "name"]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        """Name as members know it: 石川県七尾市, but 千代田区 and 石川県."""
        if self.prefecture_id and self.kind in {
            self.Kind.CITY,
            self.Kind.TOWN,
            self.Kind.VILLAGE,
        }:
            return f"{self.prefecture.name}{self.name}"
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_superuser"] = True
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person's account; every account belongs to one organisation."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("name"), max_length=100)
    department = models.CharField(_("department"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="staff",
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Turn off instead of deleting the account of someone who left."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name", "organisation"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="members_user_email_ci_unique"
            ),
        ]

    def __str__(self):
        return self.signature

    @property
    def signature(self):
        """How a person is shown on posts: 石川県七尾市 観光交流課 山田."""
        parts = [self.organisation.full_name, self.department, self.display_name]
        return " ".join(part for part in parts if part)

    @property
    def is_staff(self):
        """Django admin access, decided by members.permissions."""
        from .permissions import can_use_admin

        return can_use_admin(self)

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name
