import pytest
from django.urls import reverse

from disaster_support.models import ChangeLog, Dispatch
from tests import factories

MODELS = [
    "disaster",
    "worktype",
    "helprequest",
    "offer",
    "dispatch",
    "supportmoney",
    "supportgoods",
    "changelog",
    "damageweights",
    "damagefigures",
    "allocation",
]


@pytest.mark.parametrize("model", MODELS)
def test_office_opens_every_admin_list(client, office_staff, model):
    client.force_login(office_staff)
    url = reverse(f"admin:disaster_support_{model}_changelist")
    assert client.get(url).status_code == 200


def test_admin_edit_is_logged(client, office_staff, help_request, chiyoda):
    dispatch = factories.make_dispatch(
        offer=factories.make_offer(request=help_request), sender=chiyoda, seats=1
    )
    client.force_login(office_staff)
    url = reverse("admin:disaster_support_dispatch_change", args=[dispatch.pk])
    seat = dispatch.seats.get()
    response = client.post(
        url,
        {
            "offer": dispatch.offer_id,
            "name": "第2班",
            "sender": chiyoda.pk,
            "start_on": "2024-01-10",
            "end_on": "2024-01-14",
            "travel_days_at_start": "1",
            "travel_days_at_end": "1",
            "status": "completed",
            "term": "short",
            "decided_on": "2024-01-05",
            "seats-TOTAL_FORMS": "1",
            "seats-INITIAL_FORMS": "1",
            "seats-MIN_NUM_FORMS": "0",
            "seats-MAX_NUM_FORMS": "1000",
            "seats-0-id": seat.pk,
            "seats-0-dispatch": dispatch.pk,
            "seats-0-job_type": "nurse",
            "seats-0-person_name": "職員0",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    dispatch.refresh_from_db()
    assert (dispatch.name, dispatch.status) == ("第2班", Dispatch.Status.COMPLETED)
    logged = ChangeLog.objects.filter(action="update", changed_by=office_staff)
    assert set(logged.values_list("field", flat=True)) == {
        "name",
        "status",
        "job_type",
    }


def test_admin_dates_are_bounded_as_on_the_site(client, office_staff, help_request):
    disaster = help_request.disaster
    client.force_login(office_staff)
    url = reverse("admin:disaster_support_disaster_change", args=[disaster.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data["prefectures"] = [p.pk for p in disaster.prefectures.all()]
    response = client.post(url, {**data, "occurred_on": "9999-12-31"})
    assert response.status_code == 200
    assert "occurred_on" in response.context["adminform"].form.errors
    disaster.refresh_from_db()
    assert disaster.occurred_on.year < 9999
