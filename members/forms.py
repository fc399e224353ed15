import datetime
import unicodedata

from django import forms
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from . import csv_io, permissions
from .common.csv_text import decode_spreadsheet_csv
from .common.versioning import VersionedForm
from .common.widgets import QuickSelect
from .models import MembershipApplication, Organisation, User

# The days a form accepts: any day a record of the project can fall on, and
# far enough inside the calendar (1-01-01 to 9999-12-31) that a day or a
# year can still be added to one, as reports and searches do.
EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)


class DayField(forms.DateField):
    """A date from EARLIEST_DAY to LATEST_DAY; every date field uses it."""

    default_error_messages = {
        "out_of_range": _("Enter a date from %(earliest)s to %(latest)s."),
    }

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", None) == "date":
            attrs.update(min=EARLIEST_DAY.isoformat(), max=LATEST_DAY.isoformat())
        return attrs

    def validate(self, value):
        super().validate(value)
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise forms.ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={
                    "earliest": EARLIEST_DAY.isoformat(),
                    "latest": LATEST_DAY.isoformat(),
                },
            )


class OrganisationSelect(QuickSelect):
    """A select whose options carry the kana reading for the search filter."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kana = {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if kana := self.kana.get(str(value)):
            option["attrs"]["data-kana"] = kana
        return option


class OrganisationChoiceField(forms.ModelChoiceField):
    """Local governments grouped by prefecture, labelled 石川県七尾市."""

    widget = OrganisationSelect

    def label_from_instance(self, obj):
        return obj.full_name

    def group_by_prefecture(self):
        """Turn the flat list into one option group per prefecture."""
        groups = {}
        # Hundreds of rows: read as tuples, not model objects.
        rows = self.queryset.values_list(
            "pk", "name", "kana", "kind", "prefecture__name"
        )
        for pk, name, kana, kind, prefecture_name in rows:
            group = Organisation.compose_area_name(name, kind, prefecture_name) or _(
                "Other organisations"
            )
            groups.setdefault(group, []).append(
                (pk, Organisation.compose_full_name(name, kind, prefecture_name))
            )
            self.widget.kana[str(pk)] = kana
        self.choices = [("", self.empty_label), *groups.items()]


class JoinForm(forms.ModelForm):
    """The public membership application."""

    organisation = OrganisationChoiceField(
        label=_("Local government"),
        queryset=Organisation.objects.exclude(kind=Organisation.Kind.BODY)
        .with_prefecture()
        .order_by("code"),
        empty_label=_("Choose your local government"),
        error_messages={
            "required": _("Choose your local government from the list."),
            "invalid_choice": _(
                "That local government is not in the official list. Choose it from "
                "the list."
            ),
        },
    )
    # Left empty by people; filled in by robots that fill every field.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = MembershipApplication
        fields = [
            "organisation",
            "department",
            "contact_person",
            "email",
            "phone",
            "purpose",
        ]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "purpose": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "email": _(
                "A link to confirm the application is mailed to this address; the "
                "set-your-password mail goes there too."
            ),
            "phone": _("For example 03-5210-9080."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].group_by_prefecture()

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError(
                _("This application looks automated and was not accepted."),
                code="honeypot",
            )
        return ""

    def clean_phone(self):
        return clean_phone_number(self.cleaned_data["phone"])


PHONE_CHARACTERS = set("0123456789-")


def half_width(value):
    """Full-width digits and hyphens, as Japanese input methods type them."""
    return unicodedata.normalize("NFKC", value).strip().replace("ー", "-")


def clean_phone_number(value):
    """Half-width digits and hyphens, with area code."""
    value = half_width(value)
    digits = sum(character.isdigit() for character in value)
    if value and (set(value) - PHONE_CHARACTERS or digits < 10):
        raise forms.ValidationError(
            _("Enter a phone number with area code, for example 03-5210-9080."),
            code="phone",
        )
    return value


class ContactForm(VersionedForm, forms.ModelForm):
    """An organisation's contact details, with the version it was opened at."""

    class Meta:
        model = Organisation
        fields = Organisation.CONTACT_FIELDS
        widgets = {
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.contact_version
        for name in ["department", "contact_person", "contact_email", "phone"]:
            self.fields[name].required = True

    def clean_phone(self):
        return clean_phone_number(self.cleaned_data["phone"])

    def clean_postal_code(self):
        value = half_width(self.cleaned_data["postal_code"])
        digits = value.replace("-", "")
        if value and (len(digits) != 7 or not digits.isdigit()):
            raise forms.ValidationError(
                _("Enter a postal code of seven digits, for example 102-0072."),
                code="postal_code",
            )
        return f"{digits[:3]}-{digits[3:]}" if value else ""

    def contact_changes(self):
        return {name: self.cleaned_data[name] for name in Organisation.CONTACT_FIELDS}


class StaffInviteForm(forms.Form):
    """A colleague to invite; whether the address has an account is not said."""

    email = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    display_name = forms.CharField(label=_("Name"), max_length=100)
    department = forms.CharField(label=_("Department"), max_length=100, required=False)


class ApplicationRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("This reason is sent to the applicant by e-mail."),
    )


class UserAdminForm(forms.ModelForm):
    """Account form for the office in admin: the role replaces raw groups."""

    role = forms.ChoiceField(
        label=_("role"), choices=list(permissions.ROLE_LABELS.items())
    )

    class Meta:
        model = User
        fields = ["email", "display_name", "department", "organisation", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            current = permissions.roles_of(self.instance)
            self.fields["role"].initial = next(iter(current), permissions.MEMBER_STAFF)

    def clean(self):
        cleaned_data = super().clean()
        role = cleaned_data.get("role")
        organisation = cleaned_data.get("organisation")
        if (
            role
            and organisation
            and not permissions.role_fits_organisation(role, organisation)
        ):
            self.add_error(
                "role",
                forms.ValidationError(permissions.WARD_ROLE_ERROR, code="not_a_ward"),
            )
        return cleaned_data


class DirectorySearchForm(forms.Form):
    """Filters of the member directory; every field may be left empty."""

    q = forms.CharField(
        label=_("Name or reading"),
        required=False,
        max_length=100,
        help_text=_("For example 七尾, 石川県七尾市 or ななお."),
        widget=forms.SearchInput,
    )
    prefecture = forms.ModelChoiceField(
        label=_("Prefecture"),
        queryset=Organisation.objects.prefectures().order_by("code"),
        required=False,
        empty_label=_("All prefectures"),
        error_messages={"invalid_choice": _("Choose a prefecture from the list.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Organisation.Kind.choices],
        error_messages={"invalid_choice": _("Choose a kind from the list.")},
    )

    def clean_q(self):
        """Half-width letters and digits, as typed in the registry."""
        return unicodedata.normalize("NFKC", self.cleaned_data["q"]).strip()


CSV_IMPORT_MODES = [
    (
        csv_io.ALL_OR_NOTHING,
        _("Import only if every row is valid; otherwise import nothing"),
    ),
    (csv_io.VALID_ROWS, _("Import the valid rows and skip the rejected ones")),
]


class CsvUploadForm(forms.Form):
    """A CSV file of at most 2 MB as Excel saves it, UTF-8 or Shift_JIS.

    A valid form holds the file's `text` and the `encoding` it was read in,
    and what the subclass's `plan_of(text, encoding)` makes of it as `plan`.
    """

    MAX_SIZE = 2 * 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A CSV file of at most 2 MB, in UTF-8 or Shift_JIS: Excel's "
            "“CSV UTF-8 (comma delimited)” or “CSV (comma delimited)”."
        ),
    )

    def plan_of(self, text, encoding):
        raise NotImplementedError

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                _("Choose a CSV file (a name ending in .csv)."), code="extension"
            )
        if upload.size > self.MAX_SIZE:
            raise forms.ValidationError(
                _("The file is larger than 2 MB. Split it into smaller files."),
                code="too_large",
            )
        text, encoding = decode_spreadsheet_csv(upload.read())
        self.cleaned_data["plan"] = self.plan_of(text, encoding)
        self.cleaned_data["text"], self.cleaned_data["encoding"] = text, encoding
        return upload


class MemberCsvImportForm(CsvUploadForm):
    """A member list uploaded by the office. A valid form holds the file's
    `plan` (what each row would do) and its `text`, kept until the plan is
    applied."""

    mode = forms.ChoiceField(
        label=_("If some rows are rejected"),
        choices=CSV_IMPORT_MODES,
        initial="all_or_nothing",
        widget=forms.RadioSelect,
    )

    def plan_of(self, text, encoding):
        return csv_io.parse_member_text(text, encoding=encoding)


class MemberCsvApplyForm(forms.Form):
    """Confirms a previewed import; the file itself waits in the session.

    `pending` is what the preview left in the session (token, text,
    fingerprint). A valid form holds the `plan` to apply, made from the text
    again, and whether it differs from the one previewed (`plan_changed`).
    """

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    mode = forms.ChoiceField(
        label=_("If some rows are rejected"),
        choices=CSV_IMPORT_MODES,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, pending=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending

    def clean(self):
        cleaned_data = super().clean()
        # Only a hand-made request leaves a field invalid; like a stale or
        # forged token, it starts the import again.
        if self.errors or not (
            self.pending
            and constant_time_compare(self.pending["token"], cleaned_data["token"])
        ):
            raise forms.ValidationError(
                _("This preview is no longer available. Upload the file again."),
                code="expired",
            )
        # The file is read again: the registry or the members may have
        # changed since the preview.
        plan = csv_io.parse_member_text(self.pending["text"])
        cleaned_data["plan"] = plan
        cleaned_data["plan_changed"] = plan.fingerprint() != self.pending["fingerprint"]
        return cleaned_data


class StaffDeactivateForm(forms.Form):
    """Who takes over from a colleague who leaves: an active colleague."""

    successor = forms.ModelChoiceField(
        label=_("Hand over to"),
        queryset=User.objects.none(),
        required=False,
        help_text=_(
            "This colleague takes over the threads and categories followed "
            "and the unread notifications."
        ),
    )

    def __init__(self, *args, leaver, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = (
            User.objects.filter(organisation_id=leaver.organisation_id, is_active=True)
            .exclude(pk=leaver.pk)
            .order_by("display_name")
        )
        self.fields["successor"].label_from_instance = lambda user: (
            f"{user.display_name}（{user.department}）"
            if user.department
            else user.display_name
        )


class HandoverCsvForm(CsvUploadForm):
    """The April hand-over file. A valid form holds the file's `text`, its
    `encoding` and the `plan`."""

    def plan_of(self, text, encoding):
        from .services.handover import handover_plan

        return handover_plan(text=text)


class HandoverApplyForm(forms.Form):
    """Apply the previewed hand-over file kept in the session."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, pending=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not self.pending or not constant_time_compare(
            token, self.pending.get("token", "")
        ):
            raise forms.ValidationError(
                _("This preview has expired. Upload the file again."), code="expired"
            )
        return token


class ProfileForm(forms.ModelForm):
    """A person's own name, department and phone number."""

    class Meta:
        model = User
        fields = User.PROFILE_FIELDS
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }
        help_texts = {
            "display_name": _("Shown on your posts, after your organisation."),
            "phone": _("For example 03-5210-9080. Shown to your colleagues only."),
        }

    def clean_phone(self):
        return clean_phone_number(self.cleaned_data["phone"])

    def profile_changes(self):
        return {name: self.cleaned_data[name] for name in User.PROFILE_FIELDS}


class OrganisationProfileForm(forms.Form):
    """An organisation's introduction in the member directory."""

    MAX_LENGTH = 2000

    text = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What your organisation would like other members to know: its "
            "features, projects it is looking for partners in, and so on. "
            "Up to 2,000 characters."
        ),
    )


class ProfileChangeRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("This reason is mailed to the person who submitted it."),
    )
