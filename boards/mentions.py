"""Mentions: @名前 in a post, and the people a name stands for."""

import re

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat, Left, Lower, Replace, StrIndex

from members.models import Organisation

# A post cannot page half the membership by listing names.
MAX_MENTIONS = 20

MENTION_PATTERN = re.compile(
    r"(?<![A-Za-z0-9._%+\-])@"
    r"([^\s@、。，．,!?！？:：;；()（）「」『』【】\[\]<>\"'“”]+)"
)
HONORIFICS = ("さん", "さま", "様", "殿", "御中", "各位")


def mentions(body: str) -> list[str]:
    """The names a post mentions with @, in order, without repeats.

    A mention is @ followed by a name up to the next space or punctuation
    mark, e.g. "@七尾市 様", "@石川県七尾市、" or "@yamada.taro"; a trailing
    honorific (さん, 様, 御中…) is dropped. An @ inside an e-mail address is
    not a mention. Lines quoted with > are skipped, so quoting a post does
    not notify the people it mentions again. mentioned_users() says who a
    name stands for.
    """
    names = []
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            continue
        for match in MENTION_PATTERN.findall(line):
            name = match.rstrip(".")
            for honorific in HONORIFICS:
                name = name.removesuffix(honorific)
            if name and name not in names:
                names.append(name)
    return names[:MAX_MENTIONS]


def mentioned_users(users: QuerySet, names: list[str]) -> QuerySet:
    """The people among `users` that mentioned names stand for.

    A member organisation matches by its name (七尾市) or its prefecture and
    name (石川県七尾市), and then all its staff hear of it; a person matches
    by their full name without spaces (山田太郎) or by the part of their
    e-mail address before the @ (yamada.taro, in any case). A name shared
    by several organisations or people reaches them all: write the
    prefecture too to pick one organisation.
    """
    organisations = (
        Organisation.objects.members()
        .alias(prefixed=Concat("prefecture__name", "name"))
        .filter(Q(name__in=names) | Q(prefixed__in=names))
    )
    return users.alias(
        compact_name=Replace(
            Replace("display_name", Value(" "), Value("")), Value("\u3000"), Value("")
        ),
        local_part=Lower(Left("email", StrIndex("email", Value("@")) - 1)),
    ).filter(
        Q(organisation__in=organisations)
        | Q(compact_name__in=names)
        | Q(local_part__in=[name.lower() for name in names])
    )
