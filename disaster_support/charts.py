"""Server-side SVG for the disaster reports: no JavaScript, no tile servers.

The chart's geometry is computed here and drawn by a template partial
(partials/chart_duty.html), so the text in it is translated and escaped like
the rest of the page. The map reuses the member directory's map of Japan.
"""

import math
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from members import maps
from members.common.eras import format_wareki
from members.models import Organisation

# Series colours, each with at least 3:1 contrast against the white page
# (WCAG non-text contrast), and told apart by hue and lightness.
PALETTE = ("#00508c", "#b34d00", "#007a5a", "#a3195b", "#5c4b99", "#5f6b75")
CHART_WIDTH = 720
CHART_HEIGHT = 260
PLOT_LEFT = 44
PLOT_RIGHT = 12
PLOT_TOP = 12
PLOT_BOTTOM = 56  # room for the date labels and the legend
X_LABELS = 8  # at most this many dates under the axis


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    day: object
    series: str
    count: int


@dataclass(frozen=True)
class DutyChart:
    width: int
    height: int
    plot_left: float
    plot_bottom: float
    plot_right: float
    bars: list
    y_ticks: list  # (y, value)
    x_ticks: list  # (x, day)
    legend: list  # (x, colour, name)
    series: object  # the reports.DutySeries drawn

    @property
    def legend_y(self):
        return self.height - 14

    @property
    def bars_svg(self):
        """Every bar as one SVG string, with its tooltip.

        A long disaster draws thousands of bars; building them here in one
        pass is several times cheaper than a template loop with filters per
        bar. Series names are escaped once each; the rest are numbers.
        """
        names = {name: escape(name) for name in self.series.wards}
        return mark_safe(  # noqa: S308 (escaped names and numbers only)
            "".join(
                f'<rect class="bar" x="{bar.x:.2f}" y="{bar.y:.2f}" '
                f'width="{bar.width:.2f}" height="{bar.height:.2f}" '
                f'fill="{bar.colour}"><title>{bar.day.month}/{bar.day.day} '
                f"{names[bar.series]}: {bar.count}</title></rect>"
                for bar in self.bars
            )
        )

    @property
    def table_rows(self):
        """The chart's figures as table rows, one per day, in one pass (the
        table below the chart has a row per day: hundreds for a long
        disaster)."""
        return mark_safe(  # noqa: S308 (dates and numbers only)
            "".join(
                f'<tr><th scope="row" class="nowrap">{escape(format_wareki(day))}'
                "</th>"
                + "".join(f'<td class="number">{count}</td>' for count in counts)
                + f'<td class="number">{total}</td></tr>'
                for day, counts, total in self.series.days
            )
        )


def _nice_step(peak):
    """A 1-2-5 step giving about four gridlines up to the peak."""
    raw = max(peak / 4, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def duty_chart(series):
    """Stacked bars, one per day and series with people on duty."""
    plot_bottom = CHART_HEIGHT - PLOT_BOTTOM
    plot_width = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height = plot_bottom - PLOT_TOP
    step = _nice_step(series.peak)
    top = max(math.ceil(series.peak / step), 1) * step
    slot = plot_width / max(len(series.days), 1)
    colours = dict(zip(series.wards, PALETTE, strict=False))
    bars = []
    for index, (day, counts, _total) in enumerate(series.days):
        x = PLOT_LEFT + index * slot + slot * 0.1
        y = plot_bottom
        for name, count in zip(series.wards, counts, strict=True):
            if not count:
                continue
            height = count / top * plot_height
            y -= height
            bars.append(Bar(x, y, slot * 0.8, height, colours[name], day, name, count))
    every = math.ceil(len(series.days) / X_LABELS) or 1
    x_ticks = [
        (PLOT_LEFT + (index + 0.5) * slot, day)
        for index, (day, _counts, _total) in enumerate(series.days)
        if index % every == 0
    ]
    y_ticks = [
        (plot_bottom - value / top * plot_height, value)
        for value in range(0, top + 1, step)
    ]
    legend_step = plot_width / max(len(series.wards), 1)
    legend = [
        (PLOT_LEFT + index * legend_step, colours[name], name)
        for index, name in enumerate(series.wards)
    ]
    return DutyChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        plot_left=PLOT_LEFT,
        plot_bottom=plot_bottom,
        plot_right=CHART_WIDTH - PLOT_RIGHT,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        legend=legend,
        series=series,
    )


# The largest place gets this radius; the area of a circle is proportional
# to its count, so that the eye compares the right thing.
MAX_RADIUS = 16
MIN_RADIUS = 3


MAP_BASE_CACHE_SECONDS = 24 * 60 * 60


def map_base_svg():
    """Grey dots for every local government with coordinates: Japan's outline.

    Served as its own cached image and drawn under the dispatch map, so that
    the report page does not read the whole registry each time.
    """
    base = Organisation.objects.filter(
        latitude__isnull=False, longitude__isnull=False
    ).values_list("latitude", "longitude", "prefecture__code", "code")
    return maps.japan_map_svg(
        [], base=base, title=_("Map of Japan"), label=_("Map of Japan")
    )


def dispatch_map_svg(places):
    """The map of 派遣先 as SVG: one circle per place, sized by its count."""
    largest = max((place.count for place in places), default=1)
    marks = [
        maps.MapMark(
            *place.point,
            name=_("%(place)s: %(count)s")
            % {"place": place.place, "count": place.count},
            radius=max(MAX_RADIUS * math.sqrt(place.count / largest), MIN_RADIUS),
            css_class="place",
        )
        for place in places
    ]
    svg = maps.japan_map_svg(
        marks,
        background=reverse("disaster_support:map_base"),
        title=_("Map of the places staff were dispatched to"),
        label=_(
            "Map of Japan. Each blue circle is a place staff were dispatched to; "
            "its area shows the number of staff dispatched. The figures are in "
            "the table of staff dispatched."
        ),
    )
    # Built from escaped text only (japan_map_svg escapes names and labels).
    return mark_safe(svg)  # noqa: S308
