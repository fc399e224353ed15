import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from disaster_support import services
from disaster_support.models import Disaster, Dispatch, HelpRequest, Offer, WorkType
from tests import factories

D = datetime.date


def detail_url(disaster, as_of=None):
    url = reverse("disaster_support:disaster_detail", args=[disaster.pk])
    return f"{url}?as_of={as_of}" if as_of else url


@pytest.fixture
def reported(disaster, help_request, chiyoda, minato):
    offer = factories.make_offer(request=help_request)
    factories.make_dispatch(offer=offer, sender=chiyoda, seats=3)
    factories.make_dispatch(
        offer=offer,
        sender=minato,
        seats=2,
        start_on=D(2024, 2, 1),
        end_on=D(2024, 2, 5),
    )
    return disaster


def test_anonymous_is_sent_to_login(client, disaster):
    response = client.get(detail_url(disaster))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_member_reads_the_report(client, member, reported):
    client.force_login(member)
    response = client.get(detail_url(reported, "2024-01-20"))
    assert response.status_code == 200
    text = response.content.decode()
    # 「※令和6年1月20日現在」 once the heading's translation is compiled.
    assert "※" in text and "令和6年1月20日" in text
    assert "石川県 七尾市" in text


def test_as_of_before_the_disaster_shows_a_japanese_error(client, member, disaster):
    client.force_login(member)
    response = client.get(detail_url(disaster, "2023-12-31"))
    assert response.status_code == 200
    assert response.context["as_of"] is None
    assert response.context["as_of_form"].has_error("as_of", "before_disaster")


def test_list_page(client, member, disaster):
    client.force_login(member)
    response = client.get(reverse("disaster_support:home"))
    assert disaster.name in response.content.decode()


def test_office_creates_and_closes_a_disaster(client, office_staff, ishikawa):
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:disaster_create"),
        {
            "name": "テスト地震",
            "kind": "earthquake",
            "occurred_on": "2024-01-01",
            "prefectures": [ishikawa.pk],
        },
    )
    assert response.status_code == 302
    disaster = Disaster.objects.get(name="テスト地震")
    client.post(reverse("disaster_support:disaster_close", args=[disaster.pk]))
    disaster.refresh_from_db()
    assert disaster.is_closed


def test_member_cannot_create_a_disaster(client, member):
    client.force_login(member)
    response = client.get(reverse("disaster_support:disaster_create"))
    assert response.status_code == 403


def request_data(**extra):
    return {
        "channel": "mic_tokyo",
        "work_type": WorkType.objects.get(name="ごみの収集・運搬等").pk,
        "place_kind": "on_site",
        "people_requested": "6",
        "start_on": "2024-01-10",
        "end_on": "2024-02-10",
        **extra,
    }


def test_affected_member_files_its_own_request(client, nanao_staff, disaster):
    client.force_login(nanao_staff)
    url = reverse("disaster_support:request_create", args=[disaster.pk])
    response = client.post(url, request_data())
    help_request = HelpRequest.objects.get()
    assert response.status_code == 302
    assert help_request.municipality == nanao_staff.organisation
    assert help_request.entered_by == nanao_staff


def test_bad_request_shows_japanese_errors(client, nanao_staff, disaster):
    client.force_login(nanao_staff)
    url = reverse("disaster_support:request_create", args=[disaster.pk])
    response = client.post(url, request_data(people_requested="0", end_on="2024-01-01"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"people_requested", "end_on"}
    assert not HelpRequest.objects.exists()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_request_ending_outside_the_calendar_is_refused(
    client, nanao_staff, disaster, day
):
    client.force_login(nanao_staff)
    url = reverse("disaster_support:request_create", args=[disaster.pk])
    response = client.post(url, request_data(end_on=day))
    assert response.status_code == 200
    assert response.context["form"].has_error("end_on", code="out_of_range")
    assert not HelpRequest.objects.exists()


def test_a_report_as_of_a_day_past_the_calendar_the_site_keeps_is_refused(
    client, member, disaster
):
    client.force_login(member)
    url = reverse("disaster_support:disaster_detail", args=[disaster.pk])
    response = client.get(url, {"as_of": "9999-12-31"})
    assert response.status_code == 200
    assert response.context["as_of_form"].has_error("as_of", code="out_of_range")


def test_member_outside_the_area_cannot_file(client, member, disaster):
    client.force_login(member)
    url = reverse("disaster_support:request_create", args=[disaster.pk])
    assert client.post(url, request_data()).status_code == 403


def test_other_member_sees_but_cannot_edit_a_request(client, member, help_request):
    client.force_login(member)
    url = reverse("disaster_support:request_detail", args=[help_request.pk])
    assert client.get(url).status_code == 200
    status_url = reverse("disaster_support:request_status", args=[help_request.pk])
    assert client.post(status_url, {"status": "completed"}).status_code == 403
    help_request.refresh_from_db()
    assert help_request.status == help_request.Status.RECEIVED


def test_ward_offers_and_records_a_dispatch(client, chiyoda_staff, help_request):
    client.force_login(chiyoda_staff)
    client.post(
        reverse("disaster_support:offer_create", args=[help_request.pk]),
        {"basis": "agreement", "people": "3"},
    )
    offer = Offer.objects.get()
    assert offer.sender == chiyoda_staff.organisation
    response = client.post(
        reverse("disaster_support:dispatch_create", args=[offer.pk]),
        {
            "name": "第1班",
            "start_on": "2024-01-20",
            "end_on": "2024-01-24",
            "travel_days_at_start": "on",
            "status": "planned",
            "term": "short",
            "decided_on": "2024-01-15",
            "seats_clerical": "2",
            "seats_nurse": "1",
            "seats_civil": "0",
            "seats_architecture": "0",
            "seats_sanitation": "0",
            "seats_other": "0",
        },
    )
    assert response.status_code == 302
    dispatch = Dispatch.objects.get()
    assert (dispatch.sender, dispatch.seats.count()) == (offer.sender, 3)
    assert dispatch.travel_days_at_start == 1
    page = client.get(detail_url(help_request.disaster, "2024-01-20"))
    assert page.context["status"][-1].on_duty == 3


def test_ward_cannot_edit_another_wards_dispatch(
    client, minato_staff, help_request, chiyoda
):
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    dispatch = factories.make_dispatch(offer=offer, sender=chiyoda)
    client.force_login(minato_staff)
    url = reverse("disaster_support:dispatch_update", args=[dispatch.pk])
    assert client.get(url).status_code == 403
    add_url = reverse("disaster_support:dispatch_create", args=[offer.pk])
    assert client.post(add_url, {}).status_code == 403


def test_ward_cannot_edit_a_joint_dispatch(
    client, chiyoda_staff, help_request, chiyoda
):
    dispatch = factories.make_dispatch(
        offer=factories.make_offer(request=help_request), sender=chiyoda
    )
    client.force_login(chiyoda_staff)
    url = reverse("disaster_support:dispatch_update", args=[dispatch.pk])
    assert client.get(url).status_code == 403


def test_dispatch_for_closed_disaster_is_refused_in_the_form(
    client, office_staff, help_request, chiyoda
):
    offer = factories.make_offer(request=help_request)
    services.disaster_close(disaster=help_request.disaster, actor=office_staff)
    client.force_login(office_staff)
    response = client.post(
        reverse("disaster_support:dispatch_create", args=[offer.pk]),
        {
            "name": "第1班",
            "sender": chiyoda.pk,
            "start_on": "2024-01-20",
            "end_on": "2024-01-24",
            "status": "planned",
            "term": "short",
            "decided_on": "2024-01-15",
            "seats_clerical": "2",
            "seats_nurse": "0",
            "seats_civil": "0",
            "seats_architecture": "0",
            "seats_sanitation": "0",
            "seats_other": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Dispatch.objects.exists()


def page_table(text, name):
    """The body cells of a data-table on the page, as lists of strings."""
    table = re.search(rf'data-table="{name}".*?<tbody>(.*?)</tbody>', text, re.S)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [
        [cell.strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


@pytest.mark.parametrize("table", ["newsletter", "status"])
def test_csv_and_xlsx_have_the_page_figures(client, member, reported, table):
    client.force_login(member)
    page = client.get(detail_url(reported, "2024-01-20")).content.decode()
    expected = page_table(page, table)
    url = reverse("disaster_support:export", args=[reported.pk, table, "csv"])
    response = client.get(url + "?as_of=2024-01-20")
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1 : 1 + len(expected)] == expected
    url = reverse("disaster_support:export", args=[reported.pk, table, "xlsx"])
    workbook = load_workbook(io.BytesIO(client.get(url + "?as_of=2024-01-20").content))
    sheet_rows = [
        [str(value) for value in row]
        for row in workbook.active.iter_rows(min_row=2, values_only=True)
    ][: len(expected)]
    assert sheet_rows == expected


def test_report_page_queries_stay_flat(
    client, member, reported, help_request, chiyoda, django_assert_max_num_queries
):
    client.force_login(member)
    client.get(detail_url(reported, "2024-01-20"))
    offer = factories.make_offer(request=help_request)
    for number in range(10):
        factories.make_dispatch(offer=offer, sender=chiyoda, name=f"第{number}班")
    # Twelve for the page, and the session read by its key (SESSION_ENGINE).
    with django_assert_max_num_queries(12 + 1):
        client.get(detail_url(reported, "2024-01-20"))


def test_request_page_queries_stay_flat(
    client, office_staff, help_request, chiyoda, django_assert_max_num_queries
):
    offer = factories.make_offer(request=help_request)
    for number in range(10):
        factories.make_dispatch(offer=offer, sender=chiyoda, name=f"第{number}班")
    client.force_login(office_staff)
    url = reverse("disaster_support:request_detail", args=[help_request.pk])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
