import datetime

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Coalesce, Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_local_government_code


class MembershipStatus(models.TextChoices):
    NONE = "none", _("Not registered")
    APPLIED = "applied", _("Applied")
    MEMBER = "member", _("Member")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The kana in the registry is hiragana; people also type katakana.
KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヴ") + 1)}


class OrganisationQuerySet(models.QuerySet):
    def members(self) -> "OrganisationQuerySet":
        """Organisations that are members now."""
        return self.filter(membership_status=MembershipStatus.MEMBER)

    def prefectures(self) -> "OrganisationQuerySet":
        """The 47 prefectures."""
        return self.filter(kind=Organisation.Kind.PREFECTURE)

    def local_governments(self) -> "OrganisationQuerySet":
        """Municipalities and the 23 wards: what can join as a local government."""
        return self.exclude(
            kind__in=[Organisation.Kind.PREFECTURE, Organisation.Kind.BODY]
        )

    def with_prefecture(self) -> "OrganisationQuerySet":
        """With the prefecture loaded, for full_name."""
        return self.select_related("prefecture")

    def search(self, text: str) -> "OrganisationQuerySet":
        """Every word must appear in the full name (石川県七尾市) or its reading."""
        organisations = self.annotate(
            search_name=Concat(Coalesce("prefecture__name", Value("")), "name"),
            search_kana=Concat(Coalesce("prefecture__kana", Value("")), "kana"),
        )
        for word in text.split():
            organisations = organisations.filter(
                Q(search_name__icontains=word)
                | Q(search_kana__icontains=word.translate(KATAKANA_TO_HIRAGANA))
            )
        return organisations

    def in_area(self, prefecture: "Organisation") -> "OrganisationQuerySet":
        """Those in a prefecture's area: its municipalities and itself."""
        return self.filter(Q(prefecture=prefecture) | Q(pk=prefecture.pk))

    def with_area(self) -> "OrganisationQuerySet":
        """Annotate area_pk, area_name and area_code: the organisation's
        prefecture, or the organisation itself when it is a prefecture."""
        is_prefecture = Q(kind=Organisation.Kind.PREFECTURE)
        return self.annotate(
            area_pk=Coalesce("prefecture", Case(When(is_prefecture, then="pk"))),
            area_name=Coalesce(
                "prefecture__name", Case(When(is_prefecture, then="name"))
            ),
            area_code=Coalesce(
                "prefecture__code", Case(When(is_prefecture, then="code"))
            ),
        )

    def area_counts(self) -> list[dict]:
        """How many per area (see with_area), in one query, by area code.

        Rows of area_pk, area_name, area_code and count.
        """
        return list(
            self.with_area()
            .values("area_pk", "area_name", "area_code")
            .annotate(count=Count("pk"))
            .order_by(F("area_code").asc(nulls_last=True))
        )

    def unconfirmed_in(
        self, fiscal_year_start: datetime.datetime
    ) -> "OrganisationQuerySet":
        """Members that have not confirmed their details since fiscal_year_start."""
        return self.members().filter(
            models.Q(contact_confirmed_at__isnull=True)
            | models.Q(contact_confirmed_at__lt=fiscal_year_start)
        )


class MailEncoding(models.TextChoices):
    """How mail to a person is encoded (members.common.japanese_mail)."""

    UTF8 = "utf-8", _("UTF-8 (recommended)")
    ISO2022JP = "iso-2022-jp", _("ISO-2022-JP (JIS)")


class Organisation(models.Model):
    """A local government or other body taking part in the project."""

    class Kind(models.TextChoices):
        PREFECTURE = "prefecture", _("Prefecture")
        CITY = "city", _("City")
        TOWN = "town", _("Town")
        VILLAGE = "village", _("Village")
        SPECIAL_WARD = "special_ward", _("Special ward")
        BODY = "body", _("Organisation")

    # Contact fields members keep current; each change is recorded.
    CONTACT_FIELDS = [
        "department",
        "contact_person",
        "contact_email",
        "phone",
        "postal_code",
        "address",
    ]

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
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    membership_status = models.CharField(
        _("membership status"),
        max_length=20,
        choices=MembershipStatus.choices,
        default=MembershipStatus.NONE,
        db_index=True,
    )
    joined_on = models.DateField(_("registered on"), null=True, blank=True)
    profile = models.TextField(
        _("profile"),
        blank=True,
        help_text=_("A short introduction shown in the member directory."),
    )
    department = models.CharField(_("department in charge"), max_length=100, blank=True)
    contact_person = models.CharField(_("person in charge"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_confirmed_at = models.DateTimeField(
        _("contact details confirmed at"), null=True, blank=True
    )
    mail_encoding = models.CharField(
        _("mail encoding"),
        max_length=20,
        choices=MailEncoding.choices,
        default=MailEncoding.UTF8,
        db_default=MailEncoding.UTF8,
        help_text=_(
            "ISO-2022-JP for mail systems that cannot read UTF-8; "
            "each person may choose otherwise."
        ),
    )
    confirmation_reminded_at = models.DateTimeField(
        _("last reminded at"), null=True, blank=True
    )
    # Bumped on every contact change, so a stale edit form is caught.
    contact_version = models.PositiveIntegerField(default=0, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="body") | models.Q(code__isnull=False)),
                name="members_organisation_government_has_code",
            ),
        ]
        indexes = [models.Index(fields=["prefecture", "membership_status"])]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        """Name as members know it: 石川県七尾市, but 千代田区 and 石川県."""
        if self.prefecture_id and self.kind in self.PREFIXED_KINDS:
            return self.compose_full_name(self.name, self.kind, self.prefecture.name)
        return self.name

    # Municipalities are named with their prefecture; wards and others not.
    PREFIXED_KINDS = frozenset({Kind.CITY, Kind.TOWN, Kind.VILLAGE})

    @classmethod
    def compose_full_name(cls, name, kind, prefecture_name):
        """full_name from the columns, for lists read without model objects."""
        if prefecture_name and kind in cls.PREFIXED_KINDS:
            return f"{prefecture_name}{name}"
        return name

    @classmethod
    def compose_area_name(cls, name, kind, prefecture_name):
        """The area an organisation counts in (see OrganisationQuerySet.with_area):
        its prefecture's name, its own for a prefecture, else None."""
        if prefecture_name:
            return prefecture_name
        if kind == cls.Kind.PREFECTURE:
            return name
        return None

    @property
    def is_member(self):
        return self.membership_status == MembershipStatus.MEMBER


class ChangeRecord(models.Model):
    """Who changed something, and when: the common part of the histories."""

    changed_by = models.ForeignKey(
        "members.User",
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-changed_at", "-pk"]


class MembershipChange(ChangeRecord):
    """One step of an organisation's membership: who changed it, when, why."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="membership_changes",
    )
    old_status = models.CharField(
        _("before"), max_length=20, choices=MembershipStatus.choices
    )
    new_status = models.CharField(
        _("after"), max_length=20, choices=MembershipStatus.choices
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("membership change")
        verbose_name_plural = _("membership changes")

    def __str__(self):
        return f"{self.organisation}: {self.old_status} → {self.new_status}"


class ContactChange(ChangeRecord):
    """One changed contact field: who, when, old value and new value."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="contact_changes",
    )
    field = models.CharField(_("field"), max_length=30)
    old_value = models.TextField(_("before"), blank=True)
    new_value = models.TextField(_("after"), blank=True)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("contact change")
        verbose_name_plural = _("contact changes")
        indexes = [models.Index(fields=["organisation", "-changed_at"])]

    def __str__(self):
        return f"{self.organisation}: {self.field}"

    @property
    def field_label(self):
        return Organisation._meta.get_field(self.field).verbose_name


class ProfileChangeQuerySet(models.QuerySet):
    def pending(self) -> "ProfileChangeQuerySet":
        """Changes waiting for the office's decision."""
        return self.filter(status=ProfileChange.Status.PENDING)


class ProfileChange(models.Model):
    """A new introduction for an organisation, waiting for the office.

    Only made while DirectorySettings.approve_profiles is on; the
    directory shows the old introduction until the change is approved.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="profile_changes",
    )
    text = models.TextField(_("new introduction"), blank=True)
    submitted_by = models.ForeignKey(
        "members.User",
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        "members.User",
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason for rejection"), blank=True)

    objects = ProfileChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("introduction change")
        verbose_name_plural = _("introduction changes")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="pending"),
                name="members_one_pending_profile_change",
            ),
        ]

    def __str__(self):
        return f"{self.organisation.full_name} ({self.get_status_display()})"


class MembershipApplicationQuerySet(models.QuerySet):
    def confirmed(self):
        """Applications whose address was confirmed: those the office sees."""
        return self.exclude(status=MembershipApplication.Status.UNCONFIRMED)


class MembershipApplication(models.Model):
    """An application to join, waiting for the office's decision.

    It waits first for the applicant to confirm the address by a mailed
    link; until then the office does not see it and it blocks nobody.
    """

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Waiting for the address to be confirmed")
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    department = models.CharField(_("department in charge"), max_length=100)
    contact_person = models.CharField(_("person in charge"), max_length=100)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone number"), max_length=20)
    purpose = models.TextField(_("what you hope to do"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # When the form was sent, and again when the address was confirmed.
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_by = models.ForeignKey(
        "members.User",
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    objects = MembershipApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership application")
        verbose_name_plural = _("membership applications")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="pending"),
                name="members_one_pending_application",
            ),
        ]

    def __str__(self):
        return f"{self.organisation.full_name} ({self.get_status_display()})"


class DirectorySettings(models.Model):
    """Which contact fields member staff see in the directory (one row)."""

    show_department = models.BooleanField(_("show department in charge"), default=True)
    show_contact_person = models.BooleanField(_("show person in charge"), default=True)
    show_contact_email = models.BooleanField(
        _("show contact e-mail address"), default=True
    )
    show_phone = models.BooleanField(_("show phone number"), default=True)
    show_address = models.BooleanField(_("show address"), default=False)
    approve_profiles = models.BooleanField(
        _("approve organisation introductions"),
        default=False,
        help_text=_(
            "When on, an introduction changed by an organisation's staff is shown "
            "in the directory only after the office approves it."
        ),
    )

    class Meta:
        verbose_name = _("directory settings")
        verbose_name_plural = _("directory settings")

    def __str__(self):
        return str(_("Directory settings"))

    @classmethod
    def load(cls):
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings

    def visible_fields(self):
        """Contact fields member staff may see; postal code goes with address."""
        flags = {"postal_code": "show_address"}
        return [
            field
            for field in Organisation.CONTACT_FIELDS
            if getattr(self, flags.get(field, f"show_{field}"))
        ]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        organisation = extra_fields.get("organisation")
        if organisation is not None and not isinstance(organisation, Organisation):
            # createsuperuser passes the primary key it was given.
            extra_fields["organisation"] = Organisation.objects.get(pk=organisation)
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_superuser"] = True
        user = self.create_user(email, password, **extra_fields)
        # `createsuperuser` gives every permission: that goes in the record.
        AccessChange.objects.using(self._db).create(
            user=user,
            field=AccessChange.Field.SUPERUSER,
            old_value=AccessChange.NO,
            new_value=AccessChange.YES,
        )
        return user


class MailMode(models.TextChoices):
    """How a person takes part in the board by mail."""

    NOTICES = "notices", _("Notifications only")
    EVERY_POST = "every_post", _("Every post in full")
    DAILY = "daily", _("Daily summary")


class User(AbstractBaseUser, PermissionsMixin):
    """A person's account; every account belongs to one organisation."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("full name"), max_length=100)
    department = models.CharField(_("department"), max_length=100, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
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
    mail_mode = models.CharField(
        _("board mail"),
        max_length=20,
        choices=MailMode.choices,
        default=MailMode.NOTICES,
        db_default=MailMode.NOTICES,
    )
    # Blank: the organisation's choice.
    mail_encoding = models.CharField(
        _("mail encoding"),
        max_length=20,
        choices=MailEncoding.choices,
        blank=True,
        default="",
        db_default="",
    )
    # Set when mail to the address bounced: no mail goes to it until the
    # address is changed or confirmed again.
    mail_bouncing_since = models.DateTimeField(
        _("mail bouncing since"), null=True, blank=True
    )
    # Answers, interest and replies on the organisation's threads, and what
    # the organisation follows, whoever started or followed it.
    organisation_news = models.BooleanField(
        _("news of my organisation's threads"),
        default=True,
        db_default=True,
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name", "organisation"]
    # What each person edits on their own profile page; each change is
    # recorded (AccessChange).
    PROFILE_FIELDS = ["display_name", "department", "phone"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="members_user_email_ci_unique"
            ),
        ]

    # is_staff (Django admin access) is members.permissions.can_use_admin,
    # set on this class by members.apps so that models need not import
    # permissions, which imports models.

    def __str__(self):
        return self.signature

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        user = super().from_db(db, field_names, values, **kwargs)
        user._email_as_loaded = user.__dict__.get("email")
        return user

    def save(self, *args, **kwargs):
        # A new address has not bounced: mail to it starts again.
        loaded = getattr(self, "_email_as_loaded", None)
        if loaded is not None and self.email.lower() != loaded.lower():
            self.mail_bouncing_since = None
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "email" in update_fields:
                kwargs["update_fields"] = {*update_fields, "mail_bouncing_since"}
        super().save(*args, **kwargs)
        self._email_as_loaded = self.email

    @property
    def signature(self):
        """How a person is shown on posts: 石川県七尾市 観光交流課 山田."""
        parts = [self.organisation.full_name, self.department, self.display_name]
        return " ".join(part for part in parts if part)

    @property
    def effective_mail_encoding(self):
        """The person's mail encoding, else their organisation's."""
        return self.mail_encoding or self.organisation.mail_encoding

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name


class AccessChange(ChangeRecord):
    """A change to a person's account: who changed it, when, old → new.

    What the person may do (roles by their group names; yes/no for the
    flags), and how they are named and reached (User.PROFILE_FIELDS).
    """

    YES, NO = "yes", "no"

    class Field(models.TextChoices):
        ROLE = "role", _("role")
        ACTIVE = "is_active", _("active")
        SUPERUSER = "is_superuser", _("superuser status")
        # old: the leaver's address; new: the colleague's.
        HANDOVER = "handover", _("hand-over")
        DISPLAY_NAME = "display_name", _("full name")
        DEPARTMENT = "department", _("department")
        PHONE = "phone", _("phone number")

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="access_changes",
    )
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    old_value = models.CharField(_("before"), max_length=100, blank=True)
    new_value = models.CharField(_("after"), max_length=100, blank=True)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        indexes = [models.Index(fields=["user", "-changed_at"])]

    def __str__(self):
        return f"{self.user}: {self.get_field_display()}"


class SignInEventQuerySet(models.QuerySet):
    def of_user(self, user):
        """A person's own record: sign-ins, codes refused and sign-outs."""
        return self.filter(user=user)


class SignInEvent(models.Model):
    """One attempt to sign in (or a sign-out): who, when, from where, outcome."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", _("Signed in")
        FAILED = "failed", _("Wrong e-mail address or password")
        LOCKED_OUT = "locked_out", _("Refused after too many failed attempts")
        MFA_FAILED = "mfa_failed", _("Wrong two-factor code")
        SIGNED_OUT = "signed_out", _("Signed out")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    # Empty for failed passwords: the address typed may be anybody's.
    user = models.ForeignKey(
        "members.User",
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.CharField(_("e-mail address as typed"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    objects = SignInEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-in record")
        verbose_name_plural = _("sign-in records")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.at:%Y-%m-%d %H:%M})"
