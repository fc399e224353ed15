"""受援計画: the wards' plans for receiving help, edited on the site."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from disaster_support import services
from disaster_support.models import (
    ChangeLog,
    ReceptionNeed,
    ReceptionPartner,
    ReceptionPlan,
    ReceptionSite,
    WorkType,
)
from members import permissions as member_permissions
from tests import factories

pytestmark = pytest.mark.django_db


def edit_url(ward):
    return reverse("disaster_support:reception_edit", args=[ward.pk])


def sheet_url(ward):
    return reverse("disaster_support:reception_detail", args=[ward.pk])


LIST_URL = "/disaster/reception/"


@pytest.fixture
def work_type(db):
    return WorkType.objects.get(name="ごみの収集・運搬等")


@pytest.fixture
def kumamoto(db):
    return factories.make_organisation(name="熊本市")


def management(prefix, total=2, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def saved_version():
    """The version a form opened now carries (each test has one plan at most)."""
    return ReceptionPlan.objects.values_list("version", flat=True).first() or 0


def valid_post(work_type, partner, **overrides):
    data = {
        "version": str(saved_version()),
        "department": "危機管理部 防災課",
        "phone": "03-3264-0000",
        "email": "juen@example.jp",
        "after_hours": "防災センター 03-3264-1111 (24時間)",
        "note": "",
        **management("needs"),
        "needs-0-work_type": str(work_type.pk),
        "needs-0-people": "10",
        "needs-0-days": "14",
        "needs-0-note": "",
        **management("sites"),
        "sites-0-kind": ReceptionSite.Kind.BASE,
        "sites-0-name": "区民センター",
        "sites-0-address": "千代田区九段南1-6-11",
        "sites-0-capacity": "40",
        "sites-1-kind": ReceptionSite.Kind.LODGING,
        "sites-1-name": "区立体育館",
        "sites-1-address": "千代田区内神田2-1-8",
        "sites-1-capacity": "60",
        **management("partners"),
        "partners-0-rank": "1",
        "partners-0-organisation": str(partner.pk),
        "partners-0-note": "包括連携覚書",
    }
    data.update(overrides)
    return data


def nothing_saved():
    return (
        ReceptionPlan.objects.count(),
        ReceptionNeed.objects.count(),
        ReceptionSite.objects.count(),
        ReceptionPartner.objects.count(),
    ) == (0, 0, 0, 0)


# ----- editing -----


def test_ward_saves_its_plan_with_every_row(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    response = client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    assert response.status_code == 302
    plan = ReceptionPlan.objects.get(ward=chiyoda)
    assert plan.after_hours == "防災センター 03-3264-1111 (24時間)"
    assert [(n.work_type, n.people, n.days) for n in plan.needs.all()] == [
        (work_type, 10, 14)
    ]
    assert sorted(plan.sites.values_list("name", "capacity")) == [
        ("区民センター", 40),
        ("区立体育館", 60),
    ]
    assert [(p.rank, p.organisation) for p in plan.partners.all()] == [(1, kumamoto)]


def test_saving_a_plan_is_recorded_in_the_change_history(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    site_type = ContentType.objects.get_for_model(ReceptionSite)
    changes = ChangeLog.objects.filter(content_type=site_type, field="name")
    assert sorted(changes.values_list("new_value", flat=True)) == [
        "区民センター",
        "区立体育館",
    ]
    assert {change.changed_by for change in changes} == {chiyoda_staff}


def test_editing_a_row_records_old_and_new(
    client, office_staff, chiyoda, work_type, kumamoto
):
    client.force_login(office_staff)
    client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    need = ReceptionNeed.objects.get()
    data = valid_post(work_type, kumamoto)
    data.update(
        {
            **management("needs", total=1, initial=1),
            "needs-0-id": str(need.pk),
            "needs-0-people": "25",
            **management("sites", total=0),
            **management("partners", total=0),
        }
    )
    assert client.post(edit_url(chiyoda), data).status_code == 302
    need.refresh_from_db()
    assert need.people == 25
    change = ChangeLog.objects.get(
        content_type=ContentType.objects.get_for_model(ReceptionNeed),
        action=ChangeLog.Action.UPDATE,
    )
    assert (change.field, change.old_value, change.new_value) == ("people", "10", "25")


def test_a_ticked_row_is_removed(client, office_staff, chiyoda, work_type, kumamoto):
    client.force_login(office_staff)
    client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    partner = ReceptionPartner.objects.get()
    data = {
        **valid_post(work_type, kumamoto),
        **management("needs", total=0),
        **management("sites", total=0),
        **management("partners", total=1, initial=1),
        "partners-0-id": str(partner.pk),
        "partners-0-DELETE": "on",
    }
    assert client.post(edit_url(chiyoda), data).status_code == 302
    assert not ReceptionPartner.objects.exists()
    assert ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(ReceptionPartner),
        action=ChangeLog.Action.DELETE,
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field_code"),
    [
        ({"phone": ""}, ("form", "phone", "required")),
        ({"email": "not-an-address"}, ("form", "email", "invalid")),
        ({"needs-0-people": "0"}, ("needs", "people", "not_positive")),
        ({"needs-0-days": "x"}, ("needs", "days", "invalid")),
        ({"sites-0-capacity": "0"}, ("sites", "capacity", "no_people")),
        ({"sites-1-address": ""}, ("sites", "address", "required")),
        ({"partners-0-rank": ""}, ("partners", "rank", "required")),
    ],
)
def test_invalid_input_saves_nothing(
    client, chiyoda_staff, chiyoda, work_type, kumamoto, overrides, field_code
):
    client.force_login(chiyoda_staff)
    response = client.post(
        edit_url(chiyoda), valid_post(work_type, kumamoto, **overrides)
    )
    assert response.status_code == 200
    name, field, code = field_code
    form = response.context[name]
    forms = [form] if name == "form" else list(form.forms)
    codes = {
        error.code for one in forms for error in one.errors.as_data().get(field, [])
    }
    assert code in codes
    assert nothing_saved()


def test_the_same_work_twice_is_refused(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    data = valid_post(
        work_type,
        kumamoto,
        **{
            "needs-1-work_type": str(work_type.pk),
            "needs-1-people": "3",
            "needs-1-days": "2",
        },
    )
    response = client.post(edit_url(chiyoda), data)
    assert response.status_code == 200
    assert response.context["needs"].non_form_errors()
    assert nothing_saved()


def test_two_partners_with_the_same_order_are_refused(
    client, chiyoda_staff, chiyoda, work_type, kumamoto, minato
):
    client.force_login(chiyoda_staff)
    data = valid_post(
        work_type,
        kumamoto,
        **{"partners-1-rank": "1", "partners-1-organisation": str(minato.pk)},
    )
    response = client.post(edit_url(chiyoda), data)
    assert response.status_code == 200
    assert response.context["partners"].non_form_errors()
    assert nothing_saved()


def test_a_ward_cannot_name_itself_as_partner(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    data = valid_post(
        work_type, kumamoto, **{"partners-0-organisation": str(chiyoda.pk)}
    )
    response = client.post(edit_url(chiyoda), data)
    assert response.status_code == 200
    errors = response.context["partners"].forms[0].errors.as_data()
    assert errors["organisation"][0].code == "self_partner"
    assert nothing_saved()


def test_invalid_edit_leaves_the_saved_plan_unchanged(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    factories.make_reception_plan(ward=chiyoda, department="防災課")
    client.force_login(chiyoda_staff)
    data = valid_post(work_type, kumamoto, **{"sites-0-capacity": "0"})
    assert client.post(edit_url(chiyoda), data).status_code == 200
    assert ReceptionPlan.objects.get().department == "防災課"
    assert not ReceptionSite.objects.exists()


# ----- who may -----


def test_anonymous_is_sent_to_sign_in(client, chiyoda):
    for url in (LIST_URL, sheet_url(chiyoda), edit_url(chiyoda)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_member_may_not_see_plans(client, member, chiyoda):
    client.force_login(member)
    for url in (LIST_URL, sheet_url(chiyoda), edit_url(chiyoda)):
        assert client.get(url).status_code == 403


def test_other_ward_may_read_but_not_edit(
    client, minato_staff, chiyoda, work_type, kumamoto
):
    client.force_login(minato_staff)
    assert client.get(sheet_url(chiyoda)).status_code == 200
    assert client.get(edit_url(chiyoda)).status_code == 403
    response = client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    assert response.status_code == 403
    assert nothing_saved()


def test_a_city_has_no_reception_plan_page(client, office_staff, kumamoto):
    client.force_login(office_staff)
    assert client.get(sheet_url(kumamoto)).status_code == 404
    assert client.get(edit_url(kumamoto)).status_code == 404


def test_office_edits_any_wards_plan(client, office_staff, chiyoda):
    client.force_login(office_staff)
    assert client.get(edit_url(chiyoda)).status_code == 200


@pytest.mark.parametrize(
    ("role", "own", "may_edit"),
    [
        (member_permissions.MEMBER_STAFF, False, False),
        (member_permissions.WARD_STAFF, True, True),
        (member_permissions.WARD_STAFF, False, False),
        (member_permissions.OFFICE_STAFF, False, True),
    ],
)
def test_can_edit_reception_plan(chiyoda, minato, role, own, may_edit):
    from disaster_support import permissions

    organisation = chiyoda if own else minato
    if role == member_permissions.MEMBER_STAFF:
        organisation = factories.make_organisation(name="七尾市")
    if role == member_permissions.OFFICE_STAFF:
        organisation = factories.make_organisation(name="特別区協議会", kind="body")
    user = factories.make_user(organisation=organisation, role=role)
    assert permissions.can_edit_reception_plan(user, chiyoda) is may_edit


# ----- list and sheet -----


def test_list_shows_every_ward_and_which_have_plans(
    client, office_staff, chiyoda, minato
):
    factories.make_reception_plan(ward=chiyoda, department="危機管理課")
    client.force_login(office_staff)
    response = client.get(LIST_URL)
    assert {ward.name for ward in response.context["wards"]} == {"千代田区", "港区"}
    assert "危機管理課" in response.text


def test_list_queries_stay_flat(
    client, office_staff, chiyoda, work_type, django_assert_max_num_queries
):
    client.force_login(office_staff)
    client.get(LIST_URL)
    with django_assert_max_num_queries(10) as few:
        client.get(LIST_URL)
    few_count = len(few.captured_queries)
    for number in range(5):
        ward = factories.make_organisation(name=f"区{number}", kind="special_ward")
        plan = factories.make_reception_plan(ward=ward)
        ReceptionNeed.objects.create(plan=plan, work_type=work_type, people=1, days=1)
    client.get(LIST_URL)
    with django_assert_max_num_queries(few_count):
        client.get(LIST_URL)


def test_sheet_shows_the_plan(client, minato_staff, chiyoda, work_type, kumamoto):
    plan = factories.make_reception_plan(ward=chiyoda)
    ReceptionNeed.objects.create(plan=plan, work_type=work_type, people=8, days=10)
    ReceptionPartner.objects.create(plan=plan, rank=1, organisation=kumamoto)
    client.force_login(minato_staff)
    response = client.get(sheet_url(chiyoda))
    assert "防災センター 03-1234-0000" in response.text
    assert work_type.name in response.text
    assert "熊本市" in response.text
    assert "reception-sheet" in response.text


def test_sheet_queries_stay_flat(
    client, office_staff, chiyoda, work_type, django_assert_max_num_queries
):
    plan = factories.make_reception_plan(ward=chiyoda)
    client.force_login(office_staff)
    client.get(sheet_url(chiyoda))
    with django_assert_max_num_queries(12) as few:
        client.get(sheet_url(chiyoda))
    few_count = len(few.captured_queries)
    for number in range(5):
        partner = factories.make_organisation(name=f"協定先{number}")
        ReceptionPartner.objects.create(
            plan=plan, rank=number + 1, organisation=partner
        )
        ReceptionSite.objects.create(
            plan=plan, kind="base", name=f"拠点{number}", address="千代田区", capacity=5
        )
    client.get(sheet_url(chiyoda))
    with django_assert_max_num_queries(few_count):
        client.get(sheet_url(chiyoda))


def test_disaster_list_links_wards_to_the_plans(client, chiyoda_staff):
    client.force_login(chiyoda_staff)
    response = client.get(reverse("disaster_support:home"))
    assert LIST_URL in response.text


def test_disaster_list_has_no_plan_link_for_members(client, member):
    client.force_login(member)
    response = client.get(reverse("disaster_support:home"))
    assert LIST_URL not in response.text


# ----- two people editing at once -----


def plan_only(work_type, partner, **overrides):
    """The plan's own fields, its saved rows left as they are."""
    return {
        **valid_post(work_type, partner, **overrides),
        **management("needs", total=0),
        **management("sites", total=0),
        **management("partners", total=0),
    }


def test_a_save_based_on_an_outdated_plan_is_refused(
    client, chiyoda_staff, office_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    opened = plan_only(work_type, kumamoto, phone="03-0000-0001")
    # The office saves in between.
    client.force_login(office_staff)
    later = plan_only(work_type, kumamoto, phone="03-9999-9999")
    assert client.post(edit_url(chiyoda), later).status_code == 302
    client.force_login(chiyoda_staff)
    response = client.post(edit_url(chiyoda), opened)
    assert response.status_code == 200
    assert "編集中に他の方がこの内容を保存しました" in response.content.decode()
    assert ReceptionPlan.objects.get(ward=chiyoda).phone == "03-9999-9999"


def test_a_refused_save_changes_no_row(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    stale = valid_post(work_type, kumamoto, version="0")
    stale.update(
        {
            **management("needs", total=0),
            **management("partners", total=0),
            **management("sites", total=1),
            "sites-0-name": "別の体育館",
        }
    )
    changes = ChangeLog.objects.count()
    assert client.post(edit_url(chiyoda), stale).status_code == 200
    assert ReceptionSite.objects.count() == 2
    assert not ReceptionSite.objects.filter(name="別の体育館").exists()
    assert ChangeLog.objects.count() == changes


def test_the_refused_form_keeps_the_input_and_takes_the_saved_version(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    stale = plan_only(work_type, kumamoto, version="0", phone="03-0000-0001")
    response = client.post(edit_url(chiyoda), stale)
    form = response.context["form"]
    assert form.data["version"] == saved_version() != 0
    assert 'value="03-0000-0001"' in response.content.decode()
    # Saving again, knowingly, goes through.
    assert client.post(edit_url(chiyoda), form.data).status_code == 302
    assert ReceptionPlan.objects.get(ward=chiyoda).phone == "03-0000-0001"


def test_two_first_plans_at_once_the_second_is_refused(
    client, chiyoda_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    first = valid_post(work_type, kumamoto)
    second = valid_post(work_type, kumamoto, phone="03-0000-0002")
    assert first["version"] == second["version"] == "0"
    assert client.post(edit_url(chiyoda), first).status_code == 302
    assert client.post(edit_url(chiyoda), second).status_code == 200
    assert ReceptionPlan.objects.get(ward=chiyoda).phone == "03-3264-0000"
    assert ReceptionSite.objects.count() == 2


def test_an_admin_edit_refuses_forms_opened_before_it(
    client, chiyoda_staff, office_staff, chiyoda, work_type, kumamoto
):
    client.force_login(chiyoda_staff)
    client.post(edit_url(chiyoda), valid_post(work_type, kumamoto))
    opened = plan_only(work_type, kumamoto, phone="03-0000-0003")
    need = ReceptionNeed.objects.get()
    need.people = 99
    services.admin_save(obj=need, actor=office_staff)
    assert client.post(edit_url(chiyoda), opened).status_code == 200
    assert ReceptionPlan.objects.get(ward=chiyoda).phone == "03-3264-0000"
