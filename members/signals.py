"""What members announces for the other apps to act on, so that members
never imports them (docs/architecture.md, the direction of imports)."""

from django.dispatch import Signal

# A leaver's personal items pass to a colleague (services.accounts
# staff_hand_over), inside its transaction. Arguments: leaver, successor.
# Each receiver returns {what: how many} handed over.
staff_handed_over = Signal()
