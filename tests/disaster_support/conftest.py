import pytest

from members import permissions
from members.models import Organisation
from tests import factories


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def ishikawa(db):
    return factories.make_prefecture()


@pytest.fixture
def disaster(ishikawa):
    return factories.make_disaster(prefecture=ishikawa)


@pytest.fixture
def nanao(ishikawa):
    return factories.make_organisation(name="七尾市", prefecture=ishikawa)


@pytest.fixture
def nanao_staff(nanao):
    return factories.make_user(email="nanao@example.jp", organisation=nanao)


@pytest.fixture
def chiyoda(db):
    return factories.make_organisation(
        name="千代田区", kind=Organisation.Kind.SPECIAL_WARD
    )


@pytest.fixture
def minato(db):
    return factories.make_organisation(name="港区", kind=Organisation.Kind.SPECIAL_WARD)


@pytest.fixture
def chiyoda_staff(chiyoda):
    return factories.make_user(
        email="chiyoda@example.jp", organisation=chiyoda, role=permissions.WARD_STAFF
    )


@pytest.fixture
def minato_staff(minato):
    return factories.make_user(
        email="minato@example.jp", organisation=minato, role=permissions.WARD_STAFF
    )


@pytest.fixture
def help_request(disaster, nanao):
    return factories.make_request(disaster=disaster, municipality=nanao)
