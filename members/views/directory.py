"""The member directory: who the members are, where they are, whom to ask."""

from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Sum
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView

from .. import maps, permissions
from ..forms import DirectorySearchForm
from ..models import DirectorySettings, Organisation, ProfileChange, User

MAP_CACHE_SECONDS = 10 * 60


class DirectoryView(ListView):
    """Member organisations, searchable by name, prefecture and kind."""

    template_name = "members/organisation_list.html"
    context_object_name = "organisations"
    paginate_by = 50

    def get(self, request, *args, **kwargs):
        self.form = DirectorySearchForm(request.GET or None)
        # Invalid fields are reported and ignored; the valid ones still apply.
        self.filters = {}
        if self.form.is_bound:
            self.form.is_valid()
            self.filters = self.form.cleaned_data
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        organisations = (
            Organisation.objects.members()
            .with_prefecture()
            .order_by("code", "name", "pk")
        )
        if prefecture := self.filters.get("prefecture"):
            organisations = organisations.in_area(prefecture)
        if kind := self.filters.get("kind"):
            organisations = organisations.filter(kind=kind)
        if text := self.filters.get("q"):
            organisations = organisations.search(text)
        return organisations

    def paginate_queryset(self, queryset, page_size):
        """A page number out of range shows the nearest page, not a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def active_filters(self):
        """The applied filters as (label, value) pairs for the page."""
        shown = []
        for name, field in self.form.fields.items():
            value = self.filters.get(name)
            if not value:
                continue
            if name == "kind":
                value = Organisation.Kind(value).label
            elif name == "prefecture":
                value = value.name
            shown.append((field.label, value))
        return shown

    def get_context_data(self, **kwargs):
        # Members per prefecture; a prefecture counts as its own.
        counts = Organisation.objects.members().area_counts()
        return super().get_context_data(
            form=self.form,
            active_filters=self.active_filters(),
            selected_prefecture=self.filters.get("prefecture"),
            prefecture_counts=counts,
            member_total=sum(row["count"] for row in counts),
            map_width=maps.MAP_WIDTH,
            map_height=maps.MAP_HEIGHT,
            **kwargs,
        )


class OrganisationDetailView(DetailView):
    """A member's public profile, contact details and active staff."""

    template_name = "members/organisation_detail.html"
    context_object_name = "organisation"

    def get_queryset(self):
        active_staff = User.objects.filter(is_active=True).order_by(
            "department", "display_name", "pk"
        )
        return (
            Organisation.objects.members()
            .with_prefecture()
            .prefetch_related(
                Prefetch("staff", queryset=active_staff, to_attr="active_staff")
            )
        )

    def get_context_data(self, **kwargs):
        organisation = self.object
        user = self.request.user
        visible = permissions.visible_contact_fields(
            user, organisation, DirectorySettings.load()
        )
        contact_details = [
            (
                name,
                Organisation._meta.get_field(name).verbose_name,
                getattr(organisation, name),
            )
            for name in Organisation.CONTACT_FIELDS
            if name in visible and getattr(organisation, name)
        ]
        can_edit = permissions.can_edit_organisation(user, organisation)
        return super().get_context_data(
            contact_details=contact_details,
            contact_fields_limited=len(visible) < len(Organisation.CONTACT_FIELDS),
            can_edit=can_edit,
            profile_pending=can_edit
            and ProfileChange.objects.pending()
            .filter(organisation=organisation)
            .exists(),
            **kwargs,
        )


# ----- map -----


def render_member_map():
    """An SVG map of Japan: every local government grey, members blue."""
    located = Organisation.objects.filter(
        latitude__isnull=False, longitude__isnull=False
    )
    base = located.values_list("latitude", "longitude", "prefecture__code", "code")
    members = located.members().with_prefecture().order_by("code", "pk")
    return maps.japan_map_svg(
        [
            maps.MapMark(
                latitude=organisation.latitude,
                longitude=organisation.longitude,
                prefecture_code=organisation.prefecture
                and organisation.prefecture.code,
                code=organisation.code,
                name=organisation.full_name,
            )
            for organisation in members
        ],
        base=base,
        title=_("Map of member organisations"),
        label=_(
            "Map of Japan. Blue dots are member organisations, grey dots the "
            "other local governments. Okinawa is shown in the box at the lower "
            "left."
        ),
    )


@require_safe
@cache_control(private=True, max_age=MAP_CACHE_SECONDS)
def member_map(request):
    """The directory's map as SVG, drawn from the registry's coordinates."""
    # Count, last and sum of member ids change whenever membership does.
    membership = Organisation.objects.members().aggregate(
        count=Count("pk"), last=Max("pk"), total=Sum("pk")
    )
    key = "members:map:{language}:{count}:{last}:{total}".format(
        language=get_language(), **membership
    )
    svg = cache.get(key)
    if svg is None:
        svg = render_member_map()
        cache.set(key, svg, MAP_CACHE_SECONDS)
    return HttpResponse(svg, content_type="image/svg+xml")
