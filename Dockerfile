# syntax=docker/dockerfile:1
#
# Production image: gunicorn serving config.wsgi on port 8000, static files
# from WhiteNoise, uploads under the /data/media volume. Migrations are not
# run here; see the release step in docs/operations.md.

ARG PYTHON_IMAGE=python:3.12-slim

# ----- BUILDER -----
# Installs the runtime dependencies into /opt/venv, compiles the translations
# and collects the static files. gettext (msgfmt) is needed only here.
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# pyproject.toml alone is enough: the project declares no packages, so this
# installs the pinned runtime dependencies and never the `dev` extra. Kept
# apart from the source so the layer is reused until dependencies change.
COPY pyproject.toml /tmp/renkei/
RUN pip install /tmp/renkei && rm -rf /tmp/renkei

WORKDIR /app
COPY . .

# Settings refuse to load without these two; nothing connects to them.
RUN DJANGO_SECRET_KEY=build-only \
    DATABASE_URL=postgres://build@localhost/build \
    sh -c 'python manage.py compilemessages && python manage.py collectstatic --no-input'

# ----- RUNTIME -----
# No extra Debian packages: psycopg[binary] ships its own libpq, and the
# compiled translations come from the builder.
FROM ${PYTHON_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_MEDIA_ROOT=/data/media

# A home directory, because gunicorn puts its control socket under $HOME.
RUN groupadd --system --gid 10001 renkei \
    && useradd --system --uid 10001 --gid renkei --create-home \
        --home-dir /home/renkei --shell /usr/sbin/nologin renkei \
    && mkdir -p /data/media \
    && chown renkei:renkei /data/media

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

WORKDIR /app
USER renkei
VOLUME ["/data/media"]
EXPOSE 8000

# Sends the first DJANGO_ALLOWED_HOSTS entry as Host, so the probe is not
# refused as a disallowed host. /healthz is exempt from the HTTPS redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r.build_opener(r.ProxyHandler({})).open(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

# Options in config/gunicorn.conf.py; the proxy's addresses come from
# FORWARDED_ALLOW_IPS (127.0.0.1 unless set; see docs/operations.md).
CMD ["gunicorn", "config.wsgi", "--config", "config/gunicorn.conf.py"]
