from django import forms
from django.utils.translation import gettext_lazy as _

from . import permissions
from .models import User


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
