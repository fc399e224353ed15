"""Test data builders: plain keyword-only functions, exposed as fixtures."""

import itertools

from members import permissions, services
from members.models import Organisation

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def make_organisation(
    *, name=None, kind=Organisation.Kind.CITY, prefecture=None, **extra
):
    number = next(_sequence)
    return Organisation.objects.create(
        name=name or f"テスト市{number}",
        kind=kind,
        prefecture=prefecture,
        **extra,
    )


def make_ward(*, name="千代田区"):
    return make_organisation(name=name, kind=Organisation.Kind.SPECIAL_WARD)


def make_user(
    *,
    organisation=None,
    role=permissions.MEMBER_STAFF,
    email=None,
    display_name="山田 太郎",
    department="観光交流課",
    password=PASSWORD,
    email_verified=True,
):
    number = next(_sequence)
    if organisation is None:
        kind = (
            Organisation.Kind.SPECIAL_WARD
            if role == permissions.WARD_STAFF
            else Organisation.Kind.CITY
        )
        organisation = make_organisation(kind=kind)
    return services.user_create(
        email=email or f"user{number}@example.jp",
        display_name=display_name,
        department=department,
        organisation=organisation,
        role=role,
        password=password,
        email_verified=email_verified,
    )
