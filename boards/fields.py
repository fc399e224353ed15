"""Form fields for the board's forms."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from .attachments import ACCEPT, max_files_per_post, prepare_upload


class _ListedChoices(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        # The queryset itself, not Django's queryset.iterator(): that opens
        # a server-side cursor (DECLARE, FETCH, CLOSE) for a few dozen rows.
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose options are read in one ordinary query."""

    iterator = _ListedChoices


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


def _help_text():
    return _(
        "PDF files, JPEG, PNG or WebP images, and Word, Excel or PowerPoint "
        "files (.docx, .xlsx, .pptx): up to %(count)s files of at most "
        "%(limit)s each. Location and camera data are removed from photos."
    ) % {
        "count": max_files_per_post(),
        "limit": filesizeformat(settings.BOARDS_MAX_UPLOAD_BYTES),
    }


class AttachmentField(forms.FileField):
    """Any number of files from one input, up to the limit per post.

    Cleans to a list of PreparedUpload (empty when no file was chosen); each
    refused file gets an error of its own.
    """

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", lazy(_help_text, str)())
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": ACCEPT}

    def clean(self, data, initial=None):
        if not isinstance(data, list | tuple):
            data = [data]
        files = [uploaded for uploaded in data if uploaded]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        max_files = max_files_per_post()
        if len(files) > max_files:
            raise ValidationError(
                _(
                    "Too many files (%(count)s): at most %(max)s can be "
                    "attached to a post."
                ),
                code="too_many_files",
                params={"count": len(files), "max": max_files},
            )
        prepared, errors = [], []
        for uploaded in files:
            try:
                prepared.append(prepare_upload(uploaded))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return prepared
