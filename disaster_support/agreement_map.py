"""The map of agreements: a line between each pair of parties, drawn on the
member directory's SVG projection of Japan (members.maps), no tiles."""

from itertools import combinations

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from members import maps

LINE_COLOUR = "#00508c"
DISASTER_LINE_COLOUR = "#b3261e"


def _place(organisation):
    if organisation.latitude is None or organisation.longitude is None:
        return None
    frame = maps.frame_for(
        organisation.prefecture.code if organisation.prefecture_id else None,
        organisation.code,
    )
    return frame.x(organisation.longitude), frame.y(organisation.latitude)


def agreement_map_svg(agreements):
    """The agreements as SVG: red lines for disaster aid, blue for the rest.

    `agreements` come with their parties (AgreementQuerySet.with_parties).
    """
    title = _("Map of agreements")
    description = _(
        "Map of Japan. Each line joins two parties to an agreement: red for "
        "agreements covering disaster aid, blue for the others. The same "
        "agreements are listed in the table on this page."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {maps.MAP_WIDTH} '
        f'{maps.MAP_HEIGHT}" width="{maps.MAP_WIDTH}" height="{maps.MAP_HEIGHT}" '
        'role="img" aria-labelledby="agreement-map-title agreement-map-desc">',
        f'<title id="agreement-map-title">{escape(title)}</title>',
        f'<desc id="agreement-map-desc">{escape(description)}</desc>',
        f'<image href="{escape(reverse("disaster_support:map_base"))}" '
        f'width="{maps.MAP_WIDTH}" height="{maps.MAP_HEIGHT}"/>',
        '<g stroke-width="2" stroke-linecap="round" stroke-opacity="0.8">',
    ]
    places = {}
    for agreement in agreements:
        colour = DISASTER_LINE_COLOUR if agreement.has_disaster_scope else LINE_COLOUR
        parties = [
            (party, place)
            for party in agreement.parties.all()
            if (place := _place(party)) is not None
        ]
        for (first, (x1, y1)), (second, (x2, y2)) in combinations(parties, 2):
            name = f"{agreement.title}: {first.full_name} – {second.full_name}"
            parts.append(
                f'<line class="agreement" x1="{x1:.1f}" y1="{y1:.1f}" '
                f'x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}">'
                f"<title>{escape(name)}</title></line>"
            )
        for party, place in parties:
            places[party.pk] = (party, place)
    parts.append(
        f'</g><g fill="{maps.MARK_COLOUR}" stroke="#ffffff" stroke-width="1.2">'
    )
    for party, (x, y) in places.values():
        parts.append(
            f'<circle class="party" cx="{x:.1f}" cy="{y:.1f}" r="4">'
            f"<title>{escape(party.full_name)}</title></circle>"
        )
    parts.append("</g></svg>\n")
    # Every name and label above is escaped.
    return mark_safe("\n".join(parts))  # noqa: S308
