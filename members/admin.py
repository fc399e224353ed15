from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import permissions, services
from .forms import UserAdminForm
from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["full_name", "code", "kind", "kana"]
    list_filter = ["kind"]
    search_fields = ["name", "kana", "code"]
    list_select_related = ["prefecture"]
    autocomplete_fields = ["prefecture"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserAdminForm
    list_display = ["email", "display_name", "organisation", "role", "is_active"]
    list_filter = ["is_active", "groups"]
    search_fields = ["email", "display_name", "organisation__name"]
    list_select_related = ["organisation__prefecture"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["last_login", "date_joined"]
    fields = [
        "email",
        "display_name",
        "department",
        "organisation",
        "role",
        "is_active",
        "last_login",
        "date_joined",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("role"))
    def role(self, obj):
        names = [group.name for group in obj.groups.all()]
        return ", ".join(
            str(permissions.ROLE_LABELS[name])
            for name in names
            if name in permissions.ROLE_LABELS
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        services.user_set_role(user=obj, role=form.cleaned_data["role"])
