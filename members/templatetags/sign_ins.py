from django import template

from members.models import SignInEvent

register = template.Library()

RECENT = 10


@register.simple_tag
def recent_sign_ins(user):
    """{% recent_sign_ins request.user as events %}: the person's latest ten."""
    return SignInEvent.objects.of_user(user)[:RECENT]
