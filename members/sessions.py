"""Django's database sessions (SESSION_ENGINE), each read by a query
compiled once per process (members/common/prepared.py): every signed-in
request reads one."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.utils import timezone

from .common.prepared import PreparedQuery, from_row, model_columns


def _session(session_key, now):
    Session = SessionStore.get_model_class()
    return Session.objects.filter(
        session_key=session_key, expire_date__gt=now
    ).values_list(*model_columns(Session))


_SESSION = PreparedQuery(_session)


class SessionStore(DatabaseStore):
    def _get_session_from_db(self):
        rows = _SESSION.rows(session_key=self.session_key, now=timezone.now())
        if not rows:
            # As Django's own: an unknown or expired key is forgotten.
            self._session_key = None
            return None
        return from_row(self.get_model_class(), None, rows[0])
