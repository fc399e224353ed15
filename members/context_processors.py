from . import permissions
from .services import organisations


def roles(request):
    """Navigation flags, computed only when a template asks for them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_use_admin": lambda: permissions.can_use_admin(user),
        "confirmation_pending": lambda: organisations.confirmation_pending(
            organisation=user.organisation
        ),
    }
