import pytest

from members import permissions
from tests import factories


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def ishikawa(db):
    return factories.make_prefecture("石川県")


@pytest.fixture
def nanao(ishikawa):
    return factories.make_organisation(name="七尾市", prefecture=ishikawa)


@pytest.fixture
def kanazawa(ishikawa):
    return factories.make_organisation(name="金沢市", prefecture=ishikawa)


@pytest.fixture
def nanao_staff(nanao):
    return factories.make_user(email="nanao@example.jp", organisation=nanao)


@pytest.fixture
def nanao_colleague(nanao):
    return factories.make_user(
        email="nanao2@example.jp", organisation=nanao, display_name="七尾 花子"
    )


@pytest.fixture
def kanazawa_staff(kanazawa):
    return factories.make_user(
        email="kanazawa@example.jp", organisation=kanazawa, display_name="金沢 次郎"
    )


@pytest.fixture
def office(db):
    organisation = factories.make_organisation(
        name="公益財団法人特別区協議会", kind="body"
    )
    return factories.make_user(
        email="office@example.jp",
        organisation=organisation,
        role=permissions.OFFICE_STAFF,
        display_name="事務局 一郎",
    )


@pytest.fixture
def inquiry(office, nanao, kanazawa, nanao_staff, kanazawa_staff):
    return factories.make_inquiry(sender=office, organisations=[nanao, kanazawa])


@pytest.fixture
def questions(inquiry):
    return list(inquiry.questions.all())
