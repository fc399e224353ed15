from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from members.common.eras import fiscal_year, format_fiscal_year
from members.common.numbers import row_number
from members.common.widgets import QuickSelect
from members.forms import DayField, OrganisationChoiceField
from members.models import MailEncoding, MailMode, Organisation

from . import permissions, search
from .attachments import max_files_per_post
from .fields import AttachmentField, ListedModelChoiceField
from .models import (
    Category,
    EventDetails,
    PamphletRequest,
    Post,
    Proposal,
    Publicity,
    Thread,
    ThreadType,
)

BODY_HELP = _(
    "Markdown can be used: **bold**, lists with -, > for quotes, links. A YouTube "
    "or Vimeo link alone in its paragraph (an empty line before and after) is "
    "shown as a video."
)


class DraftFileChoiceField(forms.ModelMultipleChoiceField):
    """Files saved with a draft, each a box to tick to remove it."""

    def label_from_instance(self, obj):
        return _("Remove %(name)s (%(size)s)") % {
            "name": obj.original_name,
            "size": filesizeformat(obj.size),
        }


class DraftFilesMixin:
    """A post form resumed from a draft: the draft's files go with the post
    unless ticked in ``remove_files``; with new ones, they count towards the
    limit per post."""

    def add_draft_files(self, draft):
        if draft is None or not draft.pk:
            return
        self.fields["remove_files"] = DraftFileChoiceField(
            label=_("Files saved with the draft"),
            help_text=_("They are posted with the rest; tick a file to leave it out."),
            queryset=draft.attachments.all(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.draft_files = list(draft.attachments.all())

    def kept_files(self):
        """The draft's files that stay, once the form is clean."""
        removed = {row.pk for row in self.cleaned_data.get("remove_files") or ()}
        return [
            row for row in getattr(self, "draft_files", ()) if row.pk not in removed
        ]

    def check_file_count(self):
        if "attachments" in self.errors or "remove_files" in self.errors:
            return
        count = len(self.cleaned_data.get("attachments") or ()) + len(self.kept_files())
        limit = max_files_per_post()
        if count > limit:
            self.add_error(
                "attachments",
                forms.ValidationError(
                    _("A post can have at most %(limit)s attachments."),
                    code="too_many_files",
                    params={"limit": limit},
                ),
            )


class ThreadForm(DraftFilesMixin, forms.Form):
    """Start a thread: title, opening post and files."""

    title = forms.CharField(
        label=_("Title"),
        max_length=Thread._meta.get_field("title").max_length,
        widget=forms.TextInput(attrs={"data-draft": ""}),
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=Post._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 12, "data-draft": ""}),
        help_text=BODY_HELP,
    )
    attachments = AttachmentField(label=_("Attachments"), required=False)

    def __init__(self, *args, pdf_required=False, draft=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pdf_required = pdf_required
        self.add_draft_files(draft)

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean(self):
        """A pamphlet is a PDF: its thread needs one among the attachments."""
        cleaned_data = super().clean()
        self.check_file_count()
        if (
            self.pdf_required
            and not self.errors
            and not any(u.kind == "pdf" for u in cleaned_data["attachments"])
            and not any(row.kind == "pdf" for row in self.kept_files())
        ):
            self.add_error(
                "attachments",
                forms.ValidationError(
                    _("Attach the pamphlet as a PDF file."), code="no_pamphlet"
                ),
            )
        return cleaned_data


class ThreadDraftForm(ThreadForm):
    """A thread saved as a draft: anything typed so far is kept, empty
    fields too, but files are checked as for posting."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pdf_required = False
        self.fields["title"].required = False
        self.fields["body"].required = False


class ReplyForm(DraftFilesMixin, forms.Form):
    """A reply, possibly quoting an earlier post of the same thread."""

    body = forms.CharField(
        label=_("Reply"),
        max_length=Post._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 8, "data-draft": ""}),
        help_text=BODY_HELP,
    )
    quoted = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachments = AttachmentField(label=_("Attachments"), required=False)

    def __init__(self, *args, draft=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_draft_files(draft)
        # Unsent, and nothing of a draft in it: the same for every reader,
        # so the thread page shares its fields ({% shared_fragment %}).
        self.is_blank = not self.is_bound and not self.initial and draft is None

    def clean(self):
        cleaned_data = super().clean()
        self.check_file_count()
        return cleaned_data


class ReplyDraftForm(ReplyForm):
    """A reply saved as a draft: it may still be empty."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].required = False


# A value typed into a thread type's field is kept in a draft up to this
# length; posting checks the real limits.
DRAFT_VALUE_LENGTH = 2000
DRAFT_VALUES_PER_FIELD = 100


def draft_values(form):
    """What each field of a bound form holds as typed, unchecked, fit to keep
    in a draft as JSON and to give back to the form as ``initial``."""
    values = {}
    for name, field in form.fields.items():
        value = field.widget.value_from_datadict(
            form.data, form.files, form.add_prefix(name)
        )
        if isinstance(value, bool):
            values[name] = value
        elif isinstance(value, str):
            values[name] = value[:DRAFT_VALUE_LENGTH]
        elif isinstance(value, list | tuple):
            values[name] = [
                str(item)[:DRAFT_VALUE_LENGTH]
                for item in value[:DRAFT_VALUES_PER_FIELD]
            ]
    return values


class PostEditForm(forms.Form):
    """Edit a post; the title only for a thread's opening post."""

    title = forms.CharField(
        label=_("Title"),
        max_length=Thread._meta.get_field("title").max_length,
        required=False,
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=Post._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=BODY_HELP,
    )
    attachments = AttachmentField(label=_("Add attachments"), required=False)

    def __init__(self, *args, post, **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post
        if post.is_opening:
            self.fields["title"].required = True
            self.fields["title"].initial = post.thread.title
        else:
            del self.fields["title"]
        self.fields["body"].initial = post.body

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_attachments(self):
        uploads = self.cleaned_data["attachments"]
        limit = max_files_per_post()
        if len(uploads) + self.post.attachments.count() > limit:
            raise forms.ValidationError(
                _("A post can have at most %(limit)s attachments."),
                code="too_many_files",
                params={"limit": limit},
            )
        return uploads


class DateInput(forms.DateInput):
    input_type = "date"


def check_period(form, start_field, end_field, message=None):
    """Add an error to `end_field` when it comes before `start_field`."""
    start = form.cleaned_data.get(start_field)
    end = form.cleaned_data.get(end_field)
    if start and end and end < start:
        form.add_error(
            end_field,
            forms.ValidationError(
                message or _("The end of the period cannot be before its start."),
                code="period_order",
            ),
        )


class PeriodsMixin:
    """A form whose ``periods`` must each be in order.

    Each is (start field, end field) or (start field, end field, message),
    checked with check_period once the fields are clean.
    """

    periods = ()

    def clean(self):
        cleaned_data = super().clean()
        for period in self.periods:
            check_period(self, *period)
        return cleaned_data


class AddressingForm(forms.Form):
    """Which wards a proposal, pamphlet request or announcement is for."""

    all_wards = forms.BooleanField(label=_("All 23 wards"), required=False)
    wards = forms.ModelMultipleChoiceField(
        label=_("Chosen wards"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.SPECIAL_WARD)
        .members()
        .order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional

    def clean(self):
        cleaned_data = super().clean()
        if (
            not self.optional
            and not cleaned_data.get("all_wards")
            and not cleaned_data.get("wards")
        ):
            raise forms.ValidationError(
                _("Choose the wards this is addressed to, or all 23 wards."),
                code="no_wards",
            )
        return cleaned_data


class ProposalForm(forms.ModelForm):
    class Meta:
        model = Proposal
        fields = ["field"]


class EventForm(PeriodsMixin, forms.ModelForm):
    periods = (
        ("starts_on", "ends_on", _("The last day cannot be before the first day.")),
        (
            "application_deadline",
            "ends_on",
            _("The application deadline cannot be after the event."),
        ),
    )

    class Meta:
        model = EventDetails
        fields = ["starts_on", "ends_on", "place", "application_deadline", "contact"]
        widgets = {
            "starts_on": DateInput,
            "ends_on": DateInput,
            "application_deadline": DateInput,
        }
        field_classes = {
            "starts_on": DayField,
            "ends_on": DayField,
            "application_deadline": DayField,
        }


class PamphletForm(PeriodsMixin, forms.ModelForm):
    periods = (("wished_from", "wished_until"),)

    placements = forms.MultipleChoiceField(
        label=_("Where"),
        choices=PamphletRequest.Placement.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PamphletRequest
        fields = ["copies", "wished_from", "wished_until", "placements"]
        widgets = {"wished_from": DateInput, "wished_until": DateInput}
        field_classes = {"wished_from": DayField, "wished_until": DayField}

    def clean_copies(self):
        copies = self.cleaned_data["copies"]
        if copies < 1 or copies > 100_000:
            raise forms.ValidationError(
                _("Enter a number of copies between 1 and 100,000."), code="copies"
            )
        return copies


class PublicityForm(PeriodsMixin, forms.ModelForm):
    periods = (("period_from", "period_until"),)

    class Meta:
        model = Publicity
        fields = ["url", "period_from", "period_until"]
        widgets = {"period_from": DateInput, "period_until": DateInput}
        field_classes = {"period_from": DayField, "period_until": DayField}


class AnnouncementForm(forms.Form):
    """Office and ward announcements: optionally important, optionally mailed."""

    is_important = forms.BooleanField(
        label=_("Important: show it on the board home until read"), required=False
    )
    mail_everyone = forms.BooleanField(
        label=_("Also e-mail it to all members"), required=False
    )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("mail_everyone") and not cleaned_data.get("is_important"):
            self.add_error(
                "mail_everyone",
                forms.ValidationError(
                    _("Only an important announcement is mailed to all members."),
                    code="mail_needs_important",
                ),
            )
        return cleaned_data


# The extra form each thread type asks for, and whether it is addressed.
DETAIL_FORMS = {
    ThreadType.PROPOSAL: ProposalForm,
    ThreadType.EVENT: EventForm,
    ThreadType.PAMPHLET: PamphletForm,
    ThreadType.PUBLICITY: PublicityForm,
    ThreadType.ANNOUNCEMENT: AnnouncementForm,
}
ADDRESSED_TYPES = {ThreadType.PROPOSAL, ThreadType.PAMPHLET, ThreadType.ANNOUNCEMENT}


class AnswerForm(forms.Form):
    """A ward's answer to what was addressed to it."""

    state = forms.ChoiceField(label=_("Answer"), widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = choices


class ProposalStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = choices


# The project began in 平成26年度.
FIRST_FISCAL_YEAR = 2014


def fiscal_year_choices():
    """年度 from the project's start to this one, newest first."""
    this_year = fiscal_year(timezone.now())
    return [
        (year, format_fiscal_year(year))
        for year in range(this_year, FIRST_FISCAL_YEAR - 1, -1)
    ]


class FiscalYearForm(forms.Form):
    """The 年度 filter of thread lists and of the realised-collaborations
    export: only the project's years can be chosen."""

    fy = forms.TypedChoiceField(
        label=_("Fiscal year"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fy"].choices = [("", _("All years")), *fiscal_year_choices()]

    def year(self):
        """The chosen 年度, or None for all years or a value not offered."""
        return self.cleaned_data["fy"] if self.is_valid() else None

    def labelled_select(self):
        """{{ form.fy.label_tag }} {{ form.fy }}, rendered once per language,
        years offered and year chosen: the select's widget templates cost
        about as much as the rest of a thread list's page takes to render."""
        field = self["fy"]
        if not self.is_valid():  # shown with its error state: not kept
            return mark_safe(f"{field.label_tag()} {field}")  # noqa: S308
        key = (
            get_language(),
            self.prefix,
            self.auto_id,
            tuple((value, str(label)) for value, label in self.fields["fy"].choices),
            field.value(),
        )
        html = _YEAR_SELECTS.get(key)
        if html is None:
            if len(_YEAR_SELECTS) >= 100:
                _YEAR_SELECTS.clear()
            html = _YEAR_SELECTS[key] = mark_safe(  # noqa: S308 - the widget's
                f"{field.label_tag()} {field}"
            )
        return html


# FiscalYearForm.labelled_select's HTML; a few entries a language and year.
_YEAR_SELECTS = {}


class ThreadPageForm(forms.Form):
    """Which page of a thread to show; the view keeps it within the thread."""

    page = forms.IntegerField(required=False)


class SearchForm(PeriodsMixin, forms.Form):
    """Words to find and filters for board search; every field is optional."""

    periods = (("date_from", "date_to"),)

    q = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=100,
        help_text=_(
            "Posts containing every word are found; separate words with spaces. "
            "Parts of words are found too: 能登 finds 能登半島地震."
        ),
        widget=forms.SearchInput,
    )
    category = ListedModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("All categories"),
        widget=QuickSelect,
        error_messages={"invalid_choice": _("Choose a category from the list.")},
    )
    organisation = OrganisationChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.members()
        .with_prefecture()
        .order_by("code", "name"),
        required=False,
        empty_label=_("All organisations"),
        error_messages={"invalid_choice": _("Choose an organisation from the list.")},
    )
    prefecture = ListedModelChoiceField(
        label=_("Prefecture"),
        queryset=Organisation.objects.prefectures().order_by("code"),
        required=False,
        empty_label=_("All prefectures"),
        widget=QuickSelect,
        error_messages={"invalid_choice": _("Choose a prefecture from the list.")},
    )
    date_from = DayField(
        label=_("Posted on or after"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Enter a date such as 2025-04-01.")},
    )
    date_to = DayField(
        label=_("Posted on or before"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Enter a date such as 2025-04-01.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].group_by_prefecture()
        self.fields["category"].queryset = permissions.readable_categories(
            user, Category.objects.all()
        )

    def clean_q(self):
        words = " ".join(self.cleaned_data["q"].split())
        if words and not search.search_terms(words):
            raise forms.ValidationError(
                _("Enter words with letters or digits."), code="no_words"
            )
        return words


# ----- moderation -----


class ModerationReasonForm(forms.Form):
    """Why a moderator acts; kept in the moderation log."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the moderation log; members do not see it."),
    )


class ThreadMoveForm(ModerationReasonForm):
    """The category a thread moves to."""

    category = forms.ModelChoiceField(
        label=_("Move to"),
        queryset=Category.objects.none(),
        error_messages={"invalid_choice": _("Choose a category from the list.")},
    )
    field_order = ["category", "reason"]

    def __init__(self, *args, thread, **kwargs):
        super().__init__(*args, **kwargs)
        # Categories its author may not read stay in the list: moving there
        # is refused with the reason (services.moderation.thread_move).
        self.fields["category"].queryset = Category.objects.exclude(
            pk=thread.category_id
        )


class ReplyChoiceField(forms.ModelMultipleChoiceField):
    """Replies shown as “#3 石川県七尾市 観光交流課 山田: the first words…”."""

    def label_from_instance(self, obj):
        words = " ".join(obj.body.split())
        excerpt = words if len(words) <= 60 else words[:60] + "…"
        return f"#{obj.position} {obj.signature}: {excerpt}"


class ThreadSplitForm(ModerationReasonForm):
    """The replies that become a new thread, and its title."""

    title = forms.CharField(
        label=_("Title of the new thread"),
        max_length=Thread._meta.get_field("title").max_length,
    )
    posts = ReplyChoiceField(
        label=_("Replies to move"),
        queryset=Post.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose one or more replies."),
            "invalid_choice": _("Choose replies of this thread."),
        },
    )
    field_order = ["title", "posts", "reason"]

    def __init__(self, *args, thread, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["posts"].queryset = (
            Post.objects.filter(thread=thread, position__gt=0).with_authors().in_order()
        )

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())


def thread_number(value):
    """123, or the 123 of an address such as https://…/boards/t/123/?page=2."""
    value = value.strip()
    if value.isdigit():
        return row_number(value)
    _before, found, rest = value.partition("/t/")
    return row_number(rest.split("/", 1)[0]) if found else None


class ThreadMergeForm(ModerationReasonForm):
    """The thread another one is merged into, by number or address."""

    target = forms.CharField(
        label=_("Thread to merge into"),
        max_length=500,
        help_text=_(
            "The thread's number, or its address copied from the browser "
            "(…/boards/t/123/)."
        ),
    )
    field_order = ["target", "reason"]

    def __init__(self, *args, thread, **kwargs):
        super().__init__(*args, **kwargs)
        self.thread = thread

    def clean_target(self):
        number = thread_number(self.cleaned_data["target"])
        target = Thread.objects.filter(pk=number).first() if number else None
        if target is None:
            raise forms.ValidationError(
                _("No thread has that number or address."), code="no_thread"
            )
        if target.pk == self.thread.pk:
            raise forms.ValidationError(
                _("Choose another thread than this one."), code="same_thread"
            )
        return target


class ReportForm(forms.Form):
    """A member's reason for reporting a post."""

    reason = forms.CharField(
        label=_("What is wrong with this post?"),
        # Report.reason's max_length; a test keeps the two equal.
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Only the moderators (ward and office staff) read this."),
    )


class WatchForm(forms.Form):
    """Follow (watch=1) or stop following (watch=0) a thread or a category."""

    watch = forms.BooleanField(required=False, widget=forms.HiddenInput)


class NotificationSettingsForm(forms.Form):
    """How board mail comes: the mode, the encoding, and each kind's frequency.

    ``organisation_encoding`` names the encoding a blank choice stands for.
    """

    mail_mode = forms.ChoiceField(
        label=_("How you take part by e-mail"),
        choices=MailMode.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "A kind of news set to “No e-mail” below is never mailed, whatever "
            "you choose here."
        ),
    )
    mail_encoding = forms.ChoiceField(
        label=_("Character encoding of mail"),
        required=False,
        help_text=_(
            "Choose ISO-2022-JP only if Japanese text in our mail reaches you "
            "garbled. A mail with characters ISO-2022-JP cannot carry is sent "
            "as UTF-8."
        ),
    )

    organisation_news = forms.BooleanField(
        label=_("Tell me of my organisation's threads and follows"),
        required=False,
        help_text=_(
            "Answers, interest and replies on any thread your organisation "
            "started, and news of the threads and categories it follows, "
            "whoever among your colleagues started or followed them."
        ),
    )

    def __init__(self, *args, organisation_encoding=MailEncoding.UTF8, **kwargs):
        from .models import Frequency, NotificationKind

        super().__init__(*args, **kwargs)
        following = _("Same as my organisation (now: %(encoding)s)") % {
            "encoding": MailEncoding(organisation_encoding).label
        }
        self.fields["mail_encoding"].choices = [("", following), *MailEncoding.choices]
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=Frequency.choices
            )

    def frequencies(self) -> dict[str, str]:
        """The chosen frequency of each kind of notification."""
        from .models import NotificationKind

        return {kind.value: self.cleaned_data[kind.value] for kind in NotificationKind}
