"""The change counter (members/changes.py): what the caches of signed-in
people and of pages compare.

One row per statement that changed rows: `person_id` NULL for a change to what
everyone sees, or the person whose own state (read marks, visits, watches,
notifications) changed. The triggers that add the rows are (re)installed
after every migrate by members.common.changes.install_triggers, so tables added
later are covered without a migration of their own.
"""

from django.db import migrations

CREATE = """
CREATE TABLE change_counter (
    id bigserial PRIMARY KEY,
    person_id bigint,
    n bigint NOT NULL DEFAULT 1
);
CREATE INDEX change_counter_person ON change_counter (person_id) INCLUDE (n);

-- Fold all rows into one per person and one for content: the sums readers
-- compare stay the same, and the table stays small.
CREATE FUNCTION change_counter_fold() RETURNS void
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM change_counter RETURNING person_id, n
    )
    INSERT INTO change_counter (person_id, n)
    SELECT person_id, sum(n) FROM gone GROUP BY person_id;
$$;

-- Now and then (after one counted statement in 500). Only one transaction
-- folds at a time; the others skip it rather than wait.
CREATE FUNCTION change_counter_maybe_fold() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF random() < 0.002 AND pg_try_advisory_xact_lock(hashtext('change_counter_fold')) THEN
        PERFORM change_counter_fold();
    END IF;
END
$$;

-- Content changed: the rows the statement touched (its transition table,
-- "changed_rows"), if it touched any.
CREATE FUNCTION change_counter_content() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM changed_rows) THEN
        INSERT INTO change_counter (person_id) VALUES (NULL);
        PERFORM change_counter_maybe_fold();
    END IF;
    RETURN NULL;
END
$$;

-- A table was emptied: everything may have changed.
CREATE FUNCTION change_counter_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_counter (person_id) VALUES (NULL);
    RETURN NULL;
END
$$;

-- A person's own state changed: count each person in the rows the
-- statement touched (its transition table, "changed_rows").
CREATE FUNCTION change_counter_people() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_counter (person_id)
    SELECT DISTINCT user_id FROM changed_rows WHERE user_id IS NOT NULL;
    PERFORM change_counter_maybe_fold();
    RETURN NULL;
END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS change_counter_people() CASCADE;
DROP FUNCTION IF EXISTS change_counter_content() CASCADE;
DROP FUNCTION IF EXISTS change_counter_truncated() CASCADE;
DROP FUNCTION IF EXISTS change_counter_maybe_fold();
DROP FUNCTION IF EXISTS change_counter_fold();
DROP TABLE IF EXISTS change_counter;
"""


class Migration(migrations.Migration):
    dependencies = [("members", "0003_sign_in_record")]

    operations = [migrations.RunSQL(CREATE, DROP)]
