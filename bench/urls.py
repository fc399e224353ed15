"""The site's URLs plus the framework's floors for throughput: /bench/floor
for anyone, /bench/floor/member for a signed-in member, and
/bench/floor/template for a signed-in member shown a 20 KB page of 50 rows
rendered from plain Python data (no database).

Only bench/settings.py uses this module: the floor is never part of the site.
"""

import datetime
from functools import cache
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_safe

from config.urls import handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


@login_not_required
@require_safe
def floor(request):
    """The cheapest response the stack can give: every middleware, no work."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def member_floor(request):
    """The same for a signed-in member: the session and the account are read
    and checked, as for every members-only page."""
    return HttpResponse(f"{request.user.is_authenticated}\n", content_type="text/plain")


TEMPLATE = Path(__file__).resolve().parent / "templates" / "floor.html"
FLOOR_ROWS = 50


@cache
def floor_template():
    """Compiled once, as the cached loader keeps the site's templates."""
    return engines["django"].from_string(TEMPLATE.read_text())


@cache
def floor_context():
    """50 thread-like rows of plain Python data, about 20 KB once rendered."""
    start = datetime.datetime(2026, 4, 1, 9, 0, tzinfo=datetime.UTC)
    return {
        "title": "連携・交流事業の提案",
        "stylesheet": "/static/css/site.css",
        "navigation": [
            {"url": f"/section/{number}/", "label": label}
            for number, label in enumerate(
                ["ホーム", "掲示板", "カレンダー", "お知らせ", "会員名簿", "災害支援"]
            )
        ],
        "rows": [
            {
                "url": f"/boards/threads/{100000 - number}/",
                "title": f"観光物産展への出展のご案内（第{number}回）",
                "organisation": "石川県七尾市 観光交流課",
                "replies": number * 3 % 17,
                "is_unread": number % 3 == 0,
                "last_activity_at": start + datetime.timedelta(hours=number),
                "last_organisation": "千代田区 地域振興課",
            }
            for number in range(FLOOR_ROWS)
        ],
    }


@require_safe
def template_floor(request):
    """What a perfectly optimised members-only page would cost: the same
    template engine, context processors and middleware as the site's pages,
    a 20 KB page of 50 rows, and no query for its data."""
    context = {**floor_context(), "user_pk": request.user.pk}
    return HttpResponse(floor_template().render(context, request))


urlpatterns = [
    *site_urlpatterns,
    path("bench/floor", floor, name="bench_floor"),
    path("bench/floor/member", member_floor, name="bench_member_floor"),
    path("bench/floor/template", template_floor, name="bench_template_floor"),
]
