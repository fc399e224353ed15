"""DATABASE_URL from a Django DATABASES entry, for a process Renkei starts.

gunicorn in the tests, the task worker, the backup check and the load and
benchmark tools are pointed at the same database as the process that starts
them, which may be the test database on a private cluster reached through
a socket directory. One function writes that URL, so a socket path, a
password with reserved characters or a missing port is written the way
dj-database-url reads it back.

Django-free on purpose: config.localdb uses it before Django is set up.
"""

from urllib.parse import quote

__all__ = ["database_url"]


def database_url(params: dict, *, name: str | None = None) -> str:
    """The postgres:// URL of the database params describes.

    params is a DATABASES entry (NAME, USER, PASSWORD, HOST, PORT; missing
    keys count as empty). name, if given, replaces NAME: another database
    on the same server. A HOST that starts with "/" is a socket directory
    and is percent-encoded whole, as dj-database-url expects; an empty one
    means libpq's default socket.
    """
    user = quote(params.get("USER") or "", safe="")
    password = params.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = params.get("HOST") or ""
    if host.startswith("/"):
        host = quote(host, safe="")
    elif ":" in host:
        # An IPv6 address.
        host = f"[{host}]"
    port = params.get("PORT")
    netloc = f"{credentials}@{host}" if credentials else host
    if port:
        netloc += f":{port}"
    database = quote(name or params.get("NAME") or "", safe="")
    return f"postgres://{netloc}/{database}"
