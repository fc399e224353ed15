import datetime
import zlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disaster_support import agreements, permissions
from disaster_support.models import Agreement, ChangeLog, Dispatch
from members.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date
LIST_URL = reverse("disaster_support:agreement_list")
CREATE_URL = reverse("disaster_support:agreement_create")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def kumamoto_pref(db):
    return factories.make_prefecture(name="熊本県")


@pytest.fixture
def kumamoto(kumamoto_pref):
    return factories.make_organisation(
        name="熊本市", prefecture=kumamoto_pref, latitude=32.80, longitude=130.70
    )


@pytest.fixture
def shinjuku(db):
    return factories.make_organisation(
        name="新宿区",
        kind=Organisation.Kind.SPECIAL_WARD,
        latitude=35.69,
        longitude=139.70,
    )


def form_data(organisations, /, **overrides):
    return {
        "title": "包括連携に関する覚書",
        "kind": "comprehensive",
        "parties": [party.pk for party in organisations],
        "signed_on": "2016-11-01",
        "scopes": ["disaster", "tourism"],
        "status": "active",
        "ended_on": "",
        "note": "",
        **overrides,
    }


# ----- services -----


def test_agreement_is_created_with_its_parties_and_logged(shinjuku, kumamoto):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])

    assert set(agreement.parties.all()) == {shinjuku, kumamoto}
    logged = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Agreement),
        object_id=agreement.pk,
    )
    assert logged.get(field="parties").new_value == "新宿区, 熊本県熊本市"
    assert logged.get(field="title").action == ChangeLog.Action.CREATE


def test_agreement_with_one_party_is_refused_and_nothing_saved(shinjuku):
    with pytest.raises(ValidationError) as caught:
        factories.make_agreement(parties=[shinjuku])

    assert caught.value.error_dict["parties"][0].code == "too_few_parties"
    assert not Agreement.objects.exists()
    assert not ChangeLog.objects.exists()


def test_the_same_party_twice_is_one_party(shinjuku):
    with pytest.raises(ValidationError):
        factories.make_agreement(parties=[shinjuku, shinjuku])

    assert not Agreement.objects.exists()


def test_agreement_signed_in_the_future_is_refused(shinjuku, kumamoto):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        factories.make_agreement(parties=[shinjuku, kumamoto], signed_on=tomorrow)

    assert caught.value.error_dict["signed_on"][0].code == "signed_in_future"
    assert not Agreement.objects.exists()


def test_ended_agreement_needs_its_last_day(shinjuku, kumamoto):
    with pytest.raises(ValidationError) as caught:
        factories.make_agreement(parties=[shinjuku, kumamoto], status="expired")

    assert caught.value.error_dict["ended_on"][0].code == "ended_without_date"


def test_update_records_old_and_new_parties(shinjuku, kumamoto, kumamoto_pref):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])

    agreements.agreement_update(
        agreement=agreement,
        actor=None,
        parties=[shinjuku, kumamoto, kumamoto_pref],
        title="新しい名前",
    )

    change = ChangeLog.objects.filter(
        object_id=agreement.pk, field="parties", action=ChangeLog.Action.UPDATE
    ).latest("pk")
    assert change.old_value == "新宿区, 熊本県熊本市"
    assert "熊本県" in change.new_value.split(", ")
    agreement.refresh_from_db()
    assert agreement.title == "新しい名前"
    assert agreement.parties.count() == 3


def test_refused_update_changes_nothing(shinjuku, kumamoto):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])

    with pytest.raises(ValidationError):
        agreements.agreement_update(
            agreement=agreement, actor=None, parties=[shinjuku], title="x"
        )

    agreement.refresh_from_db()
    assert agreement.title != "x"
    assert agreement.parties.count() == 2


# ----- pages -----


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_member_reads_the_list_with_the_map(client, member, shinjuku, kumamoto):
    factories.make_agreement(parties=[shinjuku, kumamoto], title="熊本との覚書")
    client.force_login(member)

    response = client.get(LIST_URL)

    text = response.content.decode()
    assert response.status_code == 200
    assert "熊本との覚書" in text
    assert "<desc" in text and 'class="agreement"' in text


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("kind=comprehensive", {"覚書"}),
        ("scope=culture", {"文化協定"}),
        ("kind=sister", set()),
    ],
)
def test_list_filters_by_kind_and_scope(
    client, member, shinjuku, kumamoto, query, found
):
    factories.make_agreement(
        parties=[shinjuku, kumamoto], title="覚書", kind="comprehensive"
    )
    factories.make_agreement(
        parties=[shinjuku, kumamoto], title="文化協定", kind="other", scopes=["culture"]
    )
    client.force_login(member)

    response = client.get(f"{LIST_URL}?{query}")

    assert {a.title for a in response.context["agreements"]} == found


def test_list_filters_by_organisation_and_prefecture(
    client, member, shinjuku, kumamoto, kumamoto_pref
):
    other = factories.make_organisation(name="金沢市")
    factories.make_agreement(parties=[shinjuku, kumamoto], title="熊本")
    factories.make_agreement(parties=[shinjuku, other], title="金沢")
    client.force_login(member)

    by_organisation = client.get(f"{LIST_URL}?organisation={other.pk}")
    by_prefecture = client.get(f"{LIST_URL}?prefecture={kumamoto_pref.pk}")

    assert [a.title for a in by_organisation.context["agreements"]] == ["金沢"]
    assert [a.title for a in by_prefecture.context["agreements"]] == ["熊本"]


def test_list_queries_stay_flat(client, member, shinjuku, kumamoto):
    client.force_login(member)
    factories.make_agreement(parties=[shinjuku, kumamoto])
    client.get(LIST_URL)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST_URL)
    for number in range(5):
        party = factories.make_organisation(latitude=35, longitude=135 + number)
        factories.make_agreement(parties=[shinjuku, kumamoto, party])
    # Changed data reloads the signed-in user once (its cached roles).
    client.get(LIST_URL)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST_URL)

    assert len(many) == len(one)


def test_detail_page_shows_parties(client, member, shinjuku, kumamoto):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])
    client.force_login(member)

    response = client.get(
        reverse("disaster_support:agreement_detail", args=[agreement.pk])
    )

    assert "熊本県熊本市" in response.content.decode()


def test_office_registers_an_agreement(client, office_staff, shinjuku, kumamoto):
    client.force_login(office_staff)

    response = client.post(CREATE_URL, form_data([shinjuku, kumamoto]))

    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "disaster_support:agreement_detail", args=[agreement.pk]
    )
    assert agreement.scopes == ["disaster", "tourism"]
    assert set(agreement.parties.all()) == {shinjuku, kumamoto}


def test_office_attaches_a_pdf(client, office_staff, shinjuku, kumamoto):
    client.force_login(office_staff)
    document = SimpleUploadedFile("覚書.pdf", PDF, content_type="application/pdf")

    client.post(CREATE_URL, {**form_data([shinjuku, kumamoto]), "document": document})
    agreement = Agreement.objects.get()
    response = client.get(
        reverse("disaster_support:agreement_document", args=[agreement.pk])
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"title": "x", "parties": "one"}, "parties", "too_few_parties"),
        ({"signed_on": "2999-01-01"}, "signed_on", "out_of_range"),
        ({"scopes": []}, "scopes", "required"),
        ({"kind": "treaty"}, "kind", "invalid_choice"),
        ({"title": ""}, "title", "required"),
        ({"status": "expired"}, "ended_on", "ended_without_date"),
        (
            {"document": "not a pdf"},
            "document",
            "not_pdf",
        ),
        (
            {"document": "script"},
            "document",
            "pdf_active_content",
        ),
        (
            {"document": "packed script"},
            "document",
            "pdf_active_content",
        ),
    ],
)
def test_invalid_agreement_is_refused_and_nothing_saved(
    client, office_staff, shinjuku, kumamoto, change, field, code
):
    client.force_login(office_staff)
    data = form_data([shinjuku, kumamoto], **change)
    if data["parties"] == "one":
        data["parties"] = [shinjuku.pk]
    if change.get("document") == "not a pdf":
        data["document"] = SimpleUploadedFile("x.pdf", b"MZ not a pdf")
    if change.get("document") == "script":
        data["document"] = SimpleUploadedFile(
            "x.pdf", PDF.replace(b"<<>>", b"<</JavaScript (app.alert(1))>>", 1)
        )

    if change.get("document") == "packed script":
        # The action sits in a compressed object stream, as modern PDFs keep
        # their dictionaries: the same check as a post's PDF unpacks it.
        packed = zlib.compress(b"4 0 << /S /JavaScript /JS (app.alert(1)) >>")
        data["document"] = SimpleUploadedFile(
            "x.pdf",
            b"%PDF-1.7\n3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter"
            b" /FlateDecode /Length "
            + str(len(packed)).encode()
            + b" >>\nstream\n"
            + packed
            + b"\nendstream\nendobj\ntrailer<<>>\n%%EOF\n",
        )

    response = client.post(CREATE_URL, data)

    assert response.status_code == 200
    assert response.context["form"].has_error(field, code)
    assert not Agreement.objects.exists()
    assert not ChangeLog.objects.exists()


def test_signed_tomorrow_is_refused_in_japanese(
    client, office_staff, shinjuku, kumamoto
):
    client.force_login(office_staff)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(
        CREATE_URL, form_data([shinjuku, kumamoto], signed_on=tomorrow.isoformat())
    )

    assert response.context["form"].has_error("signed_on", "signed_in_future")
    assert not Agreement.objects.exists()


def test_one_party_error_is_japanese(client, office_staff, shinjuku, kumamoto):
    client.force_login(office_staff)
    data = form_data([shinjuku])

    response = client.post(CREATE_URL, data)

    assert "2団体以上" in response.content.decode()


def test_office_edits_an_agreement(client, office_staff, shinjuku, kumamoto):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])
    client.force_login(office_staff)
    url = reverse("disaster_support:agreement_update", args=[agreement.pk])

    form = client.get(url).context["form"]
    response = client.post(
        url, form_data([shinjuku, kumamoto], title="改定後の協定", status="active")
    )

    assert form.initial["title"] == agreement.title
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title == "改定後の協定"


@pytest.mark.parametrize("who", ["member", "ward_staff"])
def test_only_the_office_registers_or_edits(client, request, who, shinjuku, kumamoto):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])
    client.force_login(request.getfixturevalue(who))
    edit_url = reverse("disaster_support:agreement_update", args=[agreement.pk])

    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, form_data([shinjuku, kumamoto])).status_code == 403
    assert client.post(edit_url, form_data([shinjuku, kumamoto])).status_code == 403
    assert Agreement.objects.count() == 1


def test_anonymous_cannot_post(client, shinjuku, kumamoto):
    response = client.post(CREATE_URL, form_data([shinjuku, kumamoto]))

    assert response.status_code == 302
    assert not Agreement.objects.exists()


def test_organisation_page_lists_its_agreements(client, member, shinjuku, kumamoto):
    factories.make_agreement(parties=[shinjuku, kumamoto], title="熊本との覚書")
    client.force_login(member)

    response = client.get(reverse("members:organisation_detail", args=[kumamoto.pk]))

    text = response.content.decode()
    assert "熊本との覚書" in text
    assert "新宿区" in text


def test_organisation_page_agreements_in_one_query(client, member, shinjuku, kumamoto):
    client.force_login(member)
    url = reverse("members:organisation_detail", args=[kumamoto.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as none:
        client.get(url)
    for _number in range(4):
        factories.make_agreement(
            parties=[shinjuku, kumamoto, factories.make_organisation()]
        )
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(many) == len(none)
    assert response.content.decode().count("新宿区、テスト市") == 4


# ----- suggestions and basis -----


def test_partners_by_agreement_own_first_then_the_prefectures(
    shinjuku, kumamoto, kumamoto_pref
):
    bunkyo = factories.make_ward(name="文京区")
    culture_only = factories.make_ward(name="港区")
    factories.make_agreement(parties=[kumamoto_pref, bunkyo])
    factories.make_agreement(parties=[kumamoto, shinjuku])
    factories.make_agreement(parties=[kumamoto, culture_only], scopes=["culture"])

    partners = agreements.partners_by_agreement(kumamoto)

    assert [p.organisation for p in partners] == [shinjuku, bunkyo]
    assert [p.via_prefecture for p in partners] == [False, True]


def test_ended_agreement_suggests_no_one(shinjuku, kumamoto):
    factories.make_agreement(
        parties=[kumamoto, shinjuku], status="expired", ended_on=D(2021, 3, 31)
    )

    assert agreements.partners_by_agreement(kumamoto) == []


def test_request_page_suggests_partners_first(client, office_staff, ishikawa, nanao):
    disaster = factories.make_disaster(prefecture=ishikawa)
    help_request = factories.make_request(disaster=disaster, municipality=nanao)
    setagaya = factories.make_ward(name="世田谷区")
    factories.make_agreement(parties=[nanao, setagaya], title="七尾・世田谷協定")
    client.force_login(office_staff)

    response = client.get(
        reverse("disaster_support:request_detail", args=[help_request.pk])
    )

    partners = response.context["partners"]
    assert [p.organisation for p in partners] == [setagaya]
    assert "七尾・世田谷協定" in response.content.decode()


def test_dispatch_basis_needs_an_agreement_in_force_on_its_first_day(ishikawa, nanao):
    disaster = factories.make_disaster(prefecture=ishikawa)
    chiyoda = factories.make_ward()
    minato = factories.make_ward(name="港区")
    help_request = factories.make_request(disaster=disaster, municipality=nanao)
    agreement = factories.make_agreement(
        parties=[nanao, chiyoda], signed_on=D(2024, 1, 12)
    )
    factories.make_agreement(parties=[nanao, minato], signed_on=D(2020, 1, 1))
    early = factories.make_dispatch(
        offer=factories.make_offer(request=help_request, sender=chiyoda), sender=chiyoda
    )
    late = factories.make_dispatch(
        offer=factories.make_offer(request=help_request, sender=chiyoda),
        sender=chiyoda,
        start_on=D(2024, 2, 1),
        end_on=D(2024, 2, 5),
    )

    basis = agreements.dispatch_basis([early.pk, late.pk])

    assert basis == {late.pk: {"id": agreement.pk, "title": agreement.title}}


def test_dispatch_basis_queries_do_not_grow(ishikawa, nanao):
    disaster = factories.make_disaster(prefecture=ishikawa)
    chiyoda = factories.make_ward()
    help_request = factories.make_request(disaster=disaster, municipality=nanao)
    factories.make_agreement(parties=[nanao, chiyoda])
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    ids = [
        factories.make_dispatch(offer=offer, sender=chiyoda, seats=1).pk
        for _ in range(4)
    ]

    with CaptureQueriesContext(connection) as queries:
        basis = agreements.dispatch_basis(ids)

    assert len(basis) == 4
    assert len(queries) == 1


def test_report_shows_the_agreement_behind_a_team(client, member, ishikawa, nanao):
    disaster = factories.make_disaster(prefecture=ishikawa)
    chiyoda = factories.make_ward()
    help_request = factories.make_request(disaster=disaster, municipality=nanao)
    factories.make_agreement(parties=[nanao, chiyoda], title="七尾・千代田協定")
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    factories.make_dispatch(offer=offer, sender=chiyoda)
    client.force_login(factories.make_user(email="n@example.jp", organisation=nanao))

    response = client.get(
        reverse("disaster_support:disaster_detail", args=[disaster.pk])
        + "?as_of=2024-01-20"
    )

    assert "七尾・千代田協定" in response.content.decode()


# ----- admin -----


def test_admin_refuses_an_agreement_with_one_party(client, office_staff, shinjuku):
    client.force_login(office_staff)

    response = client.post(
        reverse("admin:disaster_support_agreement_add"),
        {**form_data([shinjuku]), "parties": str(shinjuku.pk)},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("parties", "too_few_parties")
    assert not Agreement.objects.exists()


def test_admin_adds_an_agreement_through_the_service(
    client, office_staff, shinjuku, kumamoto
):
    client.force_login(office_staff)

    response = client.post(
        reverse("admin:disaster_support_agreement_add"),
        {**form_data([shinjuku]), "parties": f"{shinjuku.pk},{kumamoto.pk}"},
    )

    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert ChangeLog.objects.filter(object_id=agreement.pk, field="parties").exists()


def test_ward_staff_view_agreements_in_admin(client, ward_staff, shinjuku, kumamoto):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])
    client.force_login(ward_staff)

    listing = client.get(reverse("admin:disaster_support_agreement_changelist"))
    adding = client.get(reverse("admin:disaster_support_agreement_add"))

    assert listing.status_code == 200
    assert agreement.title in listing.content.decode()
    assert adding.status_code == 403


# ----- demo data -----


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("load_local_governments")
    call_command("seed_demo_disaster")
    call_command("seed_demo_agreements")


def test_demo_has_the_memorandum_of_the_newsletter(seeded):
    memo = Agreement.objects.get(title="文化と歴史を縁とする包括連携に関する覚書")

    assert memo.kind == Agreement.Kind.COMPREHENSIVE
    assert {party.name for party in memo.parties.all()} == {
        "新宿区",
        "文京区",
        "熊本県",
        "熊本市",
    }


def test_demo_setagaya_is_suggested_with_its_partners_oldest_first(seeded):
    setagaya = Organisation.objects.get(code="131121")

    partners = agreements.partners_by_agreement(setagaya)

    assert [p.organisation.name for p in partners] == ["川場村", "金沢市"]


def test_demo_noto_team_sent_under_an_agreement_shows_it(seeded):
    shibuya = Organisation.objects.get(code="131130")
    teams = Dispatch.objects.filter(sender=shibuya)
    to_shika = set(
        teams.filter(offer__request__municipality__code="173843").values_list(
            "pk", flat=True
        )
    )

    basis = agreements.dispatch_basis(teams.values_list("pk", flat=True))

    assert to_shika and set(basis) == to_shika


def test_demo_agreements_are_not_doubled(seeded):
    call_command("seed_demo_agreements")

    assert Agreement.objects.filter(title__startswith="世田谷区と金沢市").count() == 1


# ----- permissions -----


@pytest.mark.parametrize(
    ("who", "view", "manage"),
    [
        ("member", True, False),
        ("ward_staff", True, False),
        ("office_staff", True, True),
    ],
)
def test_who_reads_and_who_keeps_the_register(request, who, view, manage):
    user = request.getfixturevalue(who)

    assert permissions.can_view_agreements(user) is view
    assert permissions.can_manage_agreements(user) is manage


def test_suspended_organisation_reads_no_agreements(member):
    member.organisation.membership_status = "suspended"
    member.organisation.save()

    assert not permissions.can_view_agreements(member)


def test_member_filing_a_request_sees_its_partners(client, disaster, nanao_staff):
    setagaya = factories.make_ward(name="世田谷区")
    factories.make_agreement(parties=[nanao_staff.organisation, setagaya])
    client.force_login(nanao_staff)

    response = client.get(
        reverse("disaster_support:request_create", args=[disaster.pk])
    )

    assert [p.organisation for p in response.context["partners"]] == [setagaya]


def test_all_errors_are_shown_at_once(client, office_staff, shinjuku):
    client.force_login(office_staff)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(
        CREATE_URL, form_data([shinjuku], signed_on=tomorrow.isoformat())
    )

    form = response.context["form"]
    assert form.has_error("parties", "too_few_parties")
    assert form.has_error("signed_on", "signed_in_future")
    assert not Agreement.objects.exists()


def test_admin_changes_parties_through_the_service(
    client, office_staff, shinjuku, kumamoto, kumamoto_pref
):
    agreement = factories.make_agreement(parties=[shinjuku, kumamoto])
    client.force_login(office_staff)
    url = reverse("admin:disaster_support_agreement_change", args=[agreement.pk])

    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            **form_data([]),
            "parties": f"{shinjuku.pk},{kumamoto.pk},{kumamoto_pref.pk}",
        },
    )

    assert response.status_code == 302
    assert agreement.parties.count() == 3
    assert ChangeLog.objects.filter(
        object_id=agreement.pk, field="parties", old_value="新宿区, 熊本県熊本市"
    ).exists()


def test_admin_clear_box_removes_the_document_and_its_file(
    client, office_staff, shinjuku, kumamoto, django_capture_on_commit_callbacks
):
    client.force_login(office_staff)
    document = SimpleUploadedFile("覚書.pdf", PDF, content_type="application/pdf")
    client.post(CREATE_URL, {**form_data([shinjuku, kumamoto]), "document": document})
    agreement = Agreement.objects.get()
    storage, name = agreement.document.storage, agreement.document.name
    assert storage.exists(name)
    url = reverse("admin:disaster_support_agreement_change", args=[agreement.pk])
    assert 'name="document-clear"' in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                **form_data([shinjuku]),
                "parties": f"{shinjuku.pk},{kumamoto.pk}",
                "document-clear": "on",
            },
        )

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert not agreement.document
    assert not storage.exists(name)
    assert ChangeLog.objects.filter(
        object_id=agreement.pk, field="document", new_value=""
    ).exists()


def test_admin_edit_without_the_clear_box_keeps_the_document(
    client, office_staff, shinjuku, kumamoto
):
    client.force_login(office_staff)
    document = SimpleUploadedFile("覚書.pdf", PDF, content_type="application/pdf")
    client.post(CREATE_URL, {**form_data([shinjuku, kumamoto]), "document": document})
    agreement = Agreement.objects.get()
    url = reverse("admin:disaster_support_agreement_change", args=[agreement.pk])

    client.post(
        url,
        {
            **form_data([shinjuku], title="新しい題名"),
            "parties": f"{shinjuku.pk},{kumamoto.pk}",
        },
    )

    agreement.refresh_from_db()
    assert agreement.title == "新しい題名"
    assert agreement.document.storage.exists(agreement.document.name)
