"""gunicorn's settings, for the image (Dockerfile) and the tests that start it.

Whether a request came over HTTPS is decided here, not in Django: gunicorn
believes X-Forwarded-Proto only from the addresses in forwarded_allow_ips
and reports the scheme in wsgi.url_scheme, which request.is_secure() reads.
Anyone else who reaches port 8000 directly is served as plain HTTP (and so
redirected to HTTPS), whatever the headers say.
"""

import os

bind = "0.0.0.0:8000"
workers = 3
# A worker is replaced now and then, so no slow leak grows for ever.
max_requests = 1000
max_requests_jitter = 100
timeout = 30
accesslog = "-"
# The reverse proxy's addresses (comma-separated; networks as 10.0.0.0/8).
# Only this host by default: behind Docker Compose the proxy on the host
# reaches the container from the network's gateway (compose.yaml).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server):
    """Refuse to start a node that does not belong with the others (another
    secret key, settings version, migrations or clock: config/node_checks.py);
    the reason is in the log and the exit status is 3."""
    from config import node_checks

    node_checks.check_at_start()
