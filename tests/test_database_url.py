"""config.database_url: the URL a child process gets reads back as the same database."""

import dj_database_url
import psycopg
import pytest
from django.db import connection

from config.database_url import database_url

FIELDS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


def read_back(url):
    parsed = dj_database_url.parse(url)
    return {key: parsed[key] for key in FIELDS}


@pytest.mark.parametrize(
    "params",
    [
        # The embedded cluster: a socket directory, no password.
        {"NAME": "test_renkei", "USER": "postgres", "HOST": "/run/renkei-pg-x/data"},
        # A socket directory with its port (the socket file's suffix).
        {
            "NAME": "renkei",
            "USER": "postgres",
            "HOST": "/var/run/postgresql",
            "PORT": 5433,
        },
        # A server on host:port, without and with a password.
        {"NAME": "renkei", "USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432},
        {
            "NAME": "renkei",
            "USER": "renkei",
            "PASSWORD": "p@ss:w/rd?#%",
            "HOST": "db.example.jp",
            "PORT": 5432,
        },
        # A password on a socket directory.
        {
            "NAME": "renkei",
            "USER": "renkei",
            "PASSWORD": "secret",
            "HOST": "/srv/with space/pg",
        },
        # IPv6 loopback.
        {"NAME": "renkei", "USER": "postgres", "HOST": "::1", "PORT": 5432},
    ],
    ids=["socket", "socket-port", "host-port", "password", "socket-password", "ipv6"],
)
def test_the_url_reads_back_as_the_same_settings(params):
    expected = {key: params.get(key, "") for key in FIELDS}
    assert read_back(database_url(params)) == expected


def test_name_chooses_another_database_on_the_same_server():
    params = {"NAME": "renkei", "USER": "postgres", "HOST": "/run/pg", "PORT": 5432}
    parsed = read_back(database_url(params, name="postgres"))
    assert (parsed["NAME"], parsed["HOST"], parsed["PORT"]) == (
        "postgres",
        "/run/pg",
        5432,
    )


def test_the_socket_directory_is_encoded_whole():
    url = database_url({"NAME": "r", "USER": "postgres", "HOST": "/run/pg"})
    assert url == "postgres://postgres@%2Frun%2Fpg/r"


def test_empty_host_means_the_default_socket():
    assert database_url({"NAME": "renkei"}) == "postgres:///renkei"


@pytest.mark.django_db
def test_the_test_database_url_connects():
    """The URL of the running test database reaches it, socket or TCP alike."""
    url = database_url(connection.settings_dict)
    with psycopg.connect(url, connect_timeout=10) as other:
        name = other.execute("SELECT current_database()").fetchone()[0]
    assert name == connection.settings_dict["NAME"]
