from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import DirectorySettings, MembershipStatus, Organisation
from tests import factories

pytestmark = pytest.mark.django_db

DIRECTORY_URL = reverse("members:directory")
MAP_URL = reverse("members:directory_map")


@pytest.fixture(autouse=True)
def _no_staff_two_factor(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def ishikawa():
    return factories.make_organisation(
        name="石川県",
        kana="いしかわけん",
        kind=Organisation.Kind.PREFECTURE,
        membership_status=MembershipStatus.NONE,
    )


@pytest.fixture
def toyama():
    return factories.make_organisation(
        name="富山県",
        kana="とやまけん",
        kind=Organisation.Kind.PREFECTURE,
        membership_status=MembershipStatus.NONE,
    )


@pytest.fixture
def nanao(ishikawa):
    return factories.make_organisation(
        name="七尾市",
        kana="ななおし",
        prefecture=ishikawa,
        latitude=Decimal("37.043056"),
        longitude=Decimal("136.967500"),
        profile="能登半島の港町です。",
        department="観光交流課",
        contact_person="山田 太郎",
        contact_email="kanko@city.nanao.example.jp",
        phone="0767-53-1111",
    )


def names_listed(response):
    return [organisation.full_name for organisation in response.context["object_list"]]


def detail_url(organisation):
    return reverse("members:organisation_detail", args=[organisation.pk])


# ----- access -----


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(DIRECTORY_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_visitor_gets_no_map(client):
    assert client.get(MAP_URL).status_code == 302


def test_member_of_suspended_organisation_is_refused(client):
    suspended = factories.make_organisation(
        membership_status=MembershipStatus.SUSPENDED
    )
    client.force_login(factories.make_user(organisation=suspended))
    assert client.get(DIRECTORY_URL).status_code == 403


# ----- list, search and filters -----


def test_directory_lists_members_only(member_client, member, nanao):
    factories.make_organisation(name="輪島市", membership_status=MembershipStatus.NONE)
    factories.make_organisation(
        name="珠洲市", membership_status=MembershipStatus.SUSPENDED
    )
    factories.make_organisation(
        name="志賀町", membership_status=MembershipStatus.APPLIED
    )
    response = member_client.get(DIRECTORY_URL)
    assert response.status_code == 200
    assert "members/organisation_list.html" in [t.name for t in response.templates]
    assert names_listed(response) == [member.organisation.full_name, "石川県七尾市"]
    content = response.content.decode()
    assert "輪島市" not in content and "珠洲市" not in content
    assert "志賀町" not in content
    assert detail_url(nanao) in content


@pytest.mark.parametrize(
    "query",
    ["七尾", "七尾市", "石川県七尾市", "石川県 七尾", "ななお", "ナナオ", "ﾅﾅｵ"],
)
def test_search_finds_by_name_full_name_and_reading(member_client, nanao, query):
    factories.make_organisation(name="金沢市", kana="かなざわし")
    response = member_client.get(DIRECTORY_URL, {"q": query})
    assert names_listed(response) == ["石川県七尾市"]


def test_search_without_a_match_explains_the_empty_result(member_client, nanao):
    response = member_client.get(DIRECTORY_URL, {"q": "存在しない町"})
    assert response.status_code == 200
    assert names_listed(response) == []
    assert 'class="directory-empty"' in response.content.decode()


def test_prefecture_filter_shows_that_prefecture_and_the_prefecture_itself(
    member_client, ishikawa, toyama, nanao
):
    ishikawa.membership_status = MembershipStatus.MEMBER
    ishikawa.save()
    factories.make_organisation(name="富山市", prefecture=toyama)
    response = member_client.get(DIRECTORY_URL, {"prefecture": ishikawa.pk})
    assert sorted(names_listed(response)) == ["石川県", "石川県七尾市"]
    assert response.context["active_filters"] == [("都道府県", "石川県")]


def test_kind_filter(member_client, nanao):
    factories.make_ward(name="千代田区")
    response = member_client.get(DIRECTORY_URL, {"kind": "special_ward"})
    assert names_listed(response) == ["千代田区"]


@pytest.mark.parametrize("prefecture", ["999999", "abc"])
def test_invalid_prefecture_shows_a_form_error_not_a_failure(
    member_client, nanao, prefecture
):
    response = member_client.get(DIRECTORY_URL, {"prefecture": prefecture})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["prefecture"]
    assert form.errors["prefecture"][0] in response.content.decode()
    assert "石川県七尾市" in names_listed(response)


def test_invalid_kind_and_overlong_search_show_form_errors(member_client):
    response = member_client.get(DIRECTORY_URL, {"kind": "castle", "q": "あ" * 101})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"kind", "q"}


def test_counts_per_prefecture(member_client, member, ishikawa, toyama, nanao):
    factories.make_organisation(name="金沢市", prefecture=ishikawa)
    factories.make_organisation(name="富山市", prefecture=toyama)
    factories.make_organisation(
        name="輪島市", prefecture=ishikawa, membership_status=MembershipStatus.NONE
    )
    response = member_client.get(DIRECTORY_URL)
    counts = {
        row["area_name"]: row["count"] for row in response.context["prefecture_counts"]
    }
    # The member's own test city has no prefecture.
    assert counts == {"石川県": 2, "富山県": 1, None: 1}
    assert response.context["member_total"] == 4
    assert f"?prefecture={ishikawa.pk}" in response.content.decode()


def test_pagination_keeps_the_search(member_client):
    for number in range(52):
        factories.make_organisation(name=f"検索市{number}")
    first = member_client.get(DIRECTORY_URL, {"q": "検索"})
    assert len(first.context["object_list"]) == 50
    assert "?q=%E6%A4%9C%E7%B4%A2&amp;page=2" in first.content.decode()
    second = member_client.get(DIRECTORY_URL, {"q": "検索", "page": 2})
    assert len(second.context["object_list"]) == 2


def test_page_out_of_range_shows_the_last_page(member_client):
    response = member_client.get(DIRECTORY_URL, {"page": "99"})
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [3, 30])
def test_directory_queries_do_not_grow_with_rows(
    member_client, django_assert_max_num_queries, ishikawa, rows
):
    for _number in range(rows):
        factories.make_organisation(prefecture=ishikawa)
    # Ten for the page, and the session read by its key (SESSION_ENGINE).
    with django_assert_max_num_queries(10 + 1):
        response = member_client.get(
            DIRECTORY_URL, {"q": "テスト", "prefecture": ishikawa.pk}
        )
    assert len(response.context["object_list"]) == rows


# ----- map -----


def test_map_is_svg_with_one_circle_per_member(member_client, nanao):
    factories.make_organisation(
        latitude=Decimal("36.561325"), longitude=Decimal("136.656205")
    )
    factories.make_organisation(
        membership_status=MembershipStatus.NONE,
        latitude=Decimal("37.390833"),
        longitude=Decimal("136.899167"),
    )
    response = member_client.get(MAP_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
    assert svg.count('class="member"') == 2
    # Every located government is a grey base dot: three here.
    assert svg.count('r="1.8"') == 3
    assert "<title>石川県七尾市</title>" in svg


def test_map_is_cached_until_membership_changes(member_client, nanao):
    with CaptureQueriesContext(connection) as first:
        first_svg = member_client.get(MAP_URL).content
    with CaptureQueriesContext(connection) as second:
        assert member_client.get(MAP_URL).content == first_svg
    assert len(second) < len(first)
    factories.make_organisation(latitude=Decimal("35.0"), longitude=Decimal("135.0"))
    assert member_client.get(MAP_URL).content.decode().count('class="member"') == 2


def test_directory_page_embeds_the_map_with_a_text_alternative(member_client):
    content = member_client.get(DIRECTORY_URL).content.decode()
    assert f'<img src="{MAP_URL}"' in content
    assert 'class="directory-counts"' in content


# ----- organisation page -----


def test_non_member_organisation_page_is_not_found(member_client):
    outsider = factories.make_organisation(membership_status=MembershipStatus.NONE)
    assert member_client.get(detail_url(outsider)).status_code == 404
    suspended = factories.make_organisation(
        membership_status=MembershipStatus.SUSPENDED
    )
    assert member_client.get(detail_url(suspended)).status_code == 404


def test_organisation_page_shows_profile_and_date_in_the_japanese_era(
    member_client, nanao
):
    nanao.joined_on = "2024-04-01"
    nanao.save()
    response = member_client.get(detail_url(nanao))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>石川県七尾市</h1>" in content
    assert "能登半島の港町です。" in content
    assert "令和6年4月1日" in content


@pytest.fixture
def phone_hidden():
    directory_settings = DirectorySettings.load()
    directory_settings.show_phone = False
    directory_settings.save()


def test_member_of_another_organisation_sees_only_allowed_contact_fields(
    client, other_member, nanao, phone_hidden
):
    client.force_login(other_member)
    content = client.get(detail_url(nanao)).content.decode()
    assert "0767-53-1111" not in content
    assert "kanko@city.nanao.example.jp" in content


@pytest.mark.parametrize("viewer", ["own_staff", "ward_staff", "office_staff"])
def test_own_ward_and_office_staff_see_every_contact_field(
    client, request, nanao, phone_hidden, viewer
):
    if viewer == "own_staff":
        user = factories.make_user(organisation=nanao)
    else:
        user = request.getfixturevalue(viewer)
    client.force_login(user)
    content = client.get(detail_url(nanao)).content.decode()
    assert "0767-53-1111" in content
    assert 'href="tel:0767531111"' in content


def test_active_staff_names_are_shown_without_email(client, other_member, nanao):
    factories.make_user(
        organisation=nanao,
        display_name="山田 太郎",
        email="yamada@city.nanao.example.jp",
    )
    gone = factories.make_user(organisation=nanao, display_name="異動 済子")
    gone.is_active = False
    gone.save()
    client.force_login(other_member)
    content = client.get(detail_url(nanao)).content.decode()
    assert "山田 太郎" in content
    assert "異動 済子" not in content
    assert "yamada@city.nanao.example.jp" not in content


@pytest.mark.parametrize(
    ("viewer", "can_edit"),
    [("own_staff", True), ("office_staff", True), ("other_member", False)],
)
def test_edit_links_only_for_own_organisation_and_office(
    client, request, nanao, viewer, can_edit
):
    if viewer == "own_staff":
        user = factories.make_user(organisation=nanao)
    else:
        user = request.getfixturevalue(viewer)
    client.force_login(user)
    content = client.get(detail_url(nanao)).content.decode()
    for name in [
        "members:organisation_contact",
        "members:organisation_staff",
        "members:organisation_history",
    ]:
        assert (reverse(name, args=[nanao.pk]) in content) is can_edit


def test_ward_staff_get_no_edit_links_for_other_organisations(
    client, ward_staff, nanao
):
    client.force_login(ward_staff)
    content = client.get(detail_url(nanao)).content.decode()
    assert reverse("members:organisation_contact", args=[nanao.pk]) not in content


@pytest.mark.parametrize("staff", [2, 12])
def test_organisation_page_queries_do_not_grow_with_staff(
    member_client, django_assert_max_num_queries, nanao, staff
):
    for _number in range(staff):
        factories.make_user(organisation=nanao)
    DirectorySettings.load()
    # Eight for the page, one for its agreements (disaster_support's tag),
    # and the session read by its key (SESSION_ENGINE).
    with django_assert_max_num_queries(8 + 1 + 1):
        response = member_client.get(detail_url(nanao))
    assert len(response.context["organisation"].active_staff) == staff
