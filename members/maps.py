"""An SVG map of Japan drawn from latitude/longitude, with an Okinawa inset.

No tiles and no external servers: places are dots on an equirectangular
projection. Shared by the member directory and the disaster reports.
"""

import math
from dataclasses import dataclass, replace

from django.utils.html import escape

OKINAWA_CODE = "470007"


@dataclass(frozen=True)
class MapFrame:
    """A lon/lat box drawn at (left, top) with an equirectangular scale."""

    west: float
    east: float
    south: float
    north: float
    scale: float
    left: float = 0
    top: float = 0

    # A degree of longitude is shorter than one of latitude; squash x as at
    # the middle of Japan so that its shape looks right.
    X_FACTOR = math.cos(math.radians(37))

    @property
    def width(self):
        return (self.east - self.west) * self.scale * self.X_FACTOR

    @property
    def height(self):
        return (self.north - self.south) * self.scale

    def x(self, longitude):
        return self.left + (float(longitude) - self.west) * self.scale * self.X_FACTOR

    def y(self, latitude):
        return self.top + (self.north - float(latitude)) * self.scale

    def point(self, latitude, longitude):
        """The SVG cx/cy attributes of a place."""
        return f'cx="{self.x(longitude):.1f}" cy="{self.y(latitude):.1f}"'


MAP_MARGIN = 12
INSET_PADDING = 6
MAIN_FRAME = MapFrame(
    west=128.0,
    east=146.0,
    south=26.8,
    north=45.8,
    scale=40,
    left=MAP_MARGIN,
    top=MAP_MARGIN,
)
MAP_WIDTH = round(MAIN_FRAME.width + 2 * MAP_MARGIN)
MAP_HEIGHT = round(MAIN_FRAME.height + 2 * MAP_MARGIN)
# Okinawa goes into a box in the empty sea south of Shikoku, lower left,
# placed east of the Amami islands (131.5°E).
_OKINAWA = MapFrame(west=122.8, east=131.5, south=24.0, north=27.3, scale=34)
OKINAWA_FRAME = replace(
    _OKINAWA,
    left=MAIN_FRAME.x(131.5),
    top=MAP_HEIGHT - MAP_MARGIN - INSET_PADDING - _OKINAWA.height,
)
BASE_COLOUR = "#a3abb3"
MARK_COLOUR = "#00508c"
BORDER_COLOUR = "#6b7580"


def frame_for(prefecture_code, code):
    """Okinawa's places are drawn in the inset, the rest on the main map."""
    return OKINAWA_FRAME if OKINAWA_CODE in {prefecture_code, code} else MAIN_FRAME


@dataclass(frozen=True)
class MapMark:
    """A named, highlighted place: a circle with a tooltip."""

    latitude: object
    longitude: object
    prefecture_code: str | None
    code: str | None
    name: str
    radius: float = 5
    css_class: str = "member"


def japan_map_svg(marks, *, title, label, base=(), background=None):
    """The map as SVG text: grey base dots, then the marks on top.

    `base` holds (latitude, longitude, prefecture code, code) tuples;
    `background` is instead the URL of such a map drawn beforehand. `title`
    and `label` are plain text and escaped here.
    """
    box = OKINAWA_FRAME
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_WIDTH} '
        f'{MAP_HEIGHT}" width="{MAP_WIDTH}" height="{MAP_HEIGHT}" role="img" '
        f'aria-label="{escape(label)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{box.left - INSET_PADDING:.1f}" '
        f'y="{box.top - INSET_PADDING:.1f}" '
        f'width="{box.width + 2 * INSET_PADDING:.1f}" '
        f'height="{box.height + 2 * INSET_PADDING:.1f}" '
        f'fill="none" stroke="{BORDER_COLOUR}"/>',
    ]
    if background:
        parts.append(
            f'<image href="{escape(background)}" width="{MAP_WIDTH}" '
            f'height="{MAP_HEIGHT}"/>'
        )
    parts.append(f'<g fill="{BASE_COLOUR}">')
    for latitude, longitude, prefecture_code, code in base:
        point = frame_for(prefecture_code, code).point(latitude, longitude)
        parts.append(f'<circle {point} r="1.8"/>')
    # Semi-opaque marks so that overlapping circles stay visible.
    parts.append(
        f'</g><g fill="{MARK_COLOUR}" fill-opacity="0.85" stroke="#ffffff" '
        'stroke-width="1.2">'
    )
    for mark in marks:
        point = frame_for(mark.prefecture_code, mark.code).point(
            mark.latitude, mark.longitude
        )
        parts.append(
            f'<circle class="{mark.css_class}" {point} r="{mark.radius:.1f}">'
            f"<title>{escape(mark.name)}</title></circle>"
        )
    parts.append("</g></svg>\n")
    return "\n".join(parts)
