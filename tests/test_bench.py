"""The benchmark's own parts: the floor view, wrk's figures, the seed's plan."""

import datetime
import random

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from bench import disasters, pgcopy, throughput
from bench.corpus import TextMaker
from disaster_support.models import Disaster, Dispatch, HelpRequest
from members.models import Organisation

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/boards/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    25.31ms    4.12ms  61.20ms   80.00%
    Req/Sec    79.10      9.21   101.00     70.00%
  1583 requests in 10.01s, 19.52MB read
Requests/sec:    158.14
Transfer/sec:      1.95MB
"""


def test_wrk_figures_are_read_from_its_output():
    result = throughput.parse(WRK_OUTPUT)
    assert (result.requests_per_second, result.latency_ms, result.requests) == (
        158.14,
        25.31,
        1583,
    )
    assert result.errors == 0


def test_wrk_error_responses_are_counted():
    output = WRK_OUTPUT.replace(
        "Requests/sec:",
        "  Socket errors: connect 0, read 2, write 0, timeout 1\n"
        "  Non-2xx or 3xx responses: 7\nRequests/sec:",
    )
    assert throughput.parse(output).errors == 10


def test_the_floor_answers_without_signing_in(db, client, settings):
    settings.ROOT_URLCONF = "bench.urls"
    response = client.get(reverse("bench_floor"))
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_the_template_floor_is_for_members_only(db, client, settings):
    settings.ROOT_URLCONF = "bench.urls"
    response = client.get(reverse("bench_template_floor"))
    assert response.status_code == 302


def test_the_template_floor_renders_fifty_rows_of_about_20_kb(
    db, member_client, settings
):
    settings.ROOT_URLCONF = "bench.urls"
    response = member_client.get(reverse("bench_template_floor"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<td class="thread-row__title">') == 50
    assert 18_000 < len(response.content) < 24_000


def test_the_python_client_counts_requests_and_error_statuses(live_server):
    # The floor is not routed in the live server's site: a 404 is an error.
    result = throughput._python_load(
        live_server.url + "/no-such-page", "", connections=2, count=4
    )
    assert (result.requests, result.errors) == (4, 4)


def test_the_python_client_sends_japanese_words_percent_encoded():
    request = throughput._raw_request("127.0.0.1", 8000, "/boards/search/?q=防災", "")
    assert request.split(b"\r\n")[0] == (
        b"GET /boards/search/?q=%E9%98%B2%E7%81%BD HTTP/1.1"
    )


def test_the_floor_is_not_part_of_the_site():
    with pytest.raises(NoReverseMatch):
        reverse("bench_floor")


def test_copy_lines_get_the_columns_left_out_with_their_defaults():
    fields, lines = pgcopy.with_defaults(
        Dispatch, ["offer", "name"], ["1\t第1班\n", "1\t第2班\n"]
    )
    version = fields.index("version")
    assert [line.rstrip("\n").split("\t")[version] for line in lines] == ["0", "0"]


def test_dispatches_are_spread_over_every_disaster():
    shares = disasters.spread(random.Random(1), 1000, 30)  # noqa: S311
    assert sum(shares) == 1000
    assert min(shares) >= 1


@pytest.fixture
def plan(db):
    call_command("load_local_governments", verbosity=0)
    rng = random.Random(7)  # noqa: S311
    maker = TextMaker(rng, municipalities=[], wards=[], prefectures=[])
    return disasters.Plan(
        rng,
        disasters=4,
        dispatches=300,
        maker=maker,
        today=datetime.date(2026, 6, 1),
    )


def _rows(plan, model):
    rows = plan.rows[model._meta.db_table]
    return [line.rstrip("\n").split("\t") for line in rows]


def test_the_plan_has_as_many_teams_as_asked(plan):
    assert plan.counts["disasters"] == 4
    assert len(_rows(plan, Dispatch)) == plan.counts["teams"] == 300


def test_requests_come_from_the_disasters_prefectures(plan):
    affected = {}
    for disaster, prefecture in _rows(plan, Disaster.prefectures.through):
        affected.setdefault(disaster, set()).add(int(prefecture))
    prefecture_of = dict(Organisation.objects.values_list("pk", "prefecture_id"))
    for row in _rows(plan, HelpRequest):
        disaster, municipality = row[1], int(row[2])
        assert prefecture_of[municipality] in affected[disaster]


def test_teams_before_today_are_completed_or_cancelled(plan):
    today = datetime.date(2026, 6, 1)
    statuses = {
        row[8]
        for row in _rows(plan, Dispatch)
        if datetime.date.fromisoformat(row[5]) < today
    }
    assert statuses <= {Dispatch.Status.COMPLETED, Dispatch.Status.CANCELLED}
