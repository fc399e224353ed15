from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoardsConfig(AppConfig):
    name = "boards"
    verbose_name = _("Boards")

    def ready(self):
        from members.signals import staff_handed_over

        # A leaver's follows and unread notifications go to the colleague.
        staff_handed_over.connect(_hand_over_board_items, dispatch_uid="boards")


def _hand_over_board_items(sender, *, leaver, successor, **kwargs):
    from .services.watching import personal_items_hand_over

    return personal_items_hand_over(leaver=leaver, successor=successor)
