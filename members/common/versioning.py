"""Edits by two people at once: the second to save is told, not overwritten.

A row that people edit in forms keeps a counter of saved edits (a
PositiveIntegerField, e.g. Organisation.contact_version). The edit form
carries the counter it was opened at in a hidden field (VersionedForm); the
service locks the row, calls version_check() and, once it has saved,
version_bump(). A refused save raises StaleEdit, which the view shows on the
form with VersionedForm.refuse_stale().
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class StaleEdit(ValidationError):
    """Someone else saved the same row after the form was opened."""

    def __init__(self, message=None):
        super().__init__(
            message
            or _(
                "Someone else saved this while you were editing. Check what is "
                "saved now and enter your changes again."
            ),
            code="stale",
        )


def version_check(locked, version, *, field="version", message=None):
    """Refuse the save if the row, locked by the caller, changed since `version`."""
    if getattr(locked, field) != version:
        raise StaleEdit(message)


def version_bump(obj, *, field="version"):
    """Count one more saved edit of the row, in the caller's transaction."""
    type(obj).objects.filter(pk=obj.pk).update(**{field: F(field) + 1})
    obj.refresh_from_db(fields=[field])


class VersionedForm(forms.Form):
    """An edit form that remembers the version of the row it was opened at."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def refuse_stale(self, error, *, version):
        """Show the refusal, keep what was typed and take the saved version,
        so that saving again overwrites the other edit knowingly."""
        self.add_error(None, error)
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = version
