from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError

from . import sign_ins


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Accounts come from the membership application and the office.
        return False

    def pre_authenticate(self, request, **credentials):
        """Refused for too many failures: recorded, since no password is tried."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            sign_ins.sign_in_record(
                request=request,
                outcome=sign_ins.Outcome.LOCKED_OUT,
                email=str(credentials.get("email", "")),
            )
            raise
