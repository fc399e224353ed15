from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms import OrganisationChoiceField
from members.models import Organisation

from . import search
from .attachments import AttachmentField, max_files_per_post
from .models import Category, Post, Thread

BODY_HELP = _(
    "Markdown can be used: **bold**, lists with -, > for quotes, links. A YouTube "
    "or Vimeo link on a line of its own is shown as a video."
)


class ThreadForm(forms.Form):
    """Start a thread: title, opening post and files."""

    title = forms.CharField(
        label=_("Title"),
        max_length=Thread._meta.get_field("title").max_length,
    )
    body = forms.CharField(
        label=_("Body"),
        max_length=Post._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=BODY_HELP,
    )
    attachments = AttachmentField(label=_("Attachments"), required=False)

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())


class ReplyForm(forms.Form):
    """A reply, possibly quoting an earlier post of the same thread."""

    body = forms.CharField(
        label=_("Reply"),
        max_length=Post._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=BODY_HELP,
    )
    quoted = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachments = AttachmentField(label=_("Attachments"), required=False)


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


class SearchForm(forms.Form):
    """Words to find and filters for board search; every field is optional."""

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
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("All categories"),
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
    prefecture = forms.ModelChoiceField(
        label=_("Prefecture"),
        queryset=Organisation.objects.prefectures().order_by("code"),
        required=False,
        empty_label=_("All prefectures"),
        error_messages={"invalid_choice": _("Choose a prefecture from the list.")},
    )
    date_from = forms.DateField(
        label=_("Posted on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date such as 2025-04-01.")},
    )
    date_to = forms.DateField(
        label=_("Posted on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date such as 2025-04-01.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].group_by_prefecture()

    def clean_q(self):
        words = " ".join(self.cleaned_data["q"].split())
        if words and not search.search_terms(words):
            raise forms.ValidationError(
                _("Enter words with letters or digits."), code="no_words"
            )
        return words

    def clean(self):
        cleaned_data = super().clean()
        date_from = cleaned_data.get("date_from")
        date_to = cleaned_data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error(
                "date_to",
                forms.ValidationError(
                    _("The end of the period must not be before its start."),
                    code="date_order",
                ),
            )
        return cleaned_data
