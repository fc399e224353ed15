"""The change counter moves exactly when something shown can have changed."""

from django.apps import apps
from django.db import connection, transaction

from boards.models import BoardVisit, Thread
from members.backends import AuthenticationBackend
from members.common import changes
from members.models import Organisation


def triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'change_counter%' AND t.tgenabled <> 'D'"
        )
        found = {}
        for table, name in cursor.fetchall():
            found.setdefault(table, set()).add(name)
        return found


def test_every_table_of_the_three_apps_but_personal_state_is_counted(db):
    expected = {
        model._meta.db_table
        for label in changes.CONTENT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label not in changes.NOT_SHOWN
        and model._meta.label not in changes.PERSONAL
    }
    found = triggers()
    assert set(found) == expected
    events = {"insert", "update", "delete", "truncate"}
    assert all(
        names == {f"change_counter_{e}" for e in events} for names in found.values()
    )


def test_installing_again_keeps_the_triggers_and_forgets_the_caches(db):
    before, content = triggers(), changes.content_sum()
    changes.install_triggers()
    assert triggers() == before
    # After a release (migrate), nothing cached before is used.
    assert changes.content_sum() == content + 1


def test_installing_drops_triggers_left_on_personal_tables(db):
    table = BoardVisit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TRIGGER change_counter_insert AFTER INSERT ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION change_counter_truncated()"
        )
    changes.install_triggers()
    assert table not in triggers()


def test_a_content_write_moves_the_content_sum(member):
    content = changes.content_sum()
    Organisation.objects.filter(pk=member.organisation_id).update(name="改名市")
    assert changes.content_sum() == content + 1


def test_a_statement_that_changes_no_row_counts_nothing(member):
    before = changes.content_sum()
    Thread.objects.filter(pk=-1).update(title="なし")
    assert changes.content_sum() == before


def test_a_personal_write_counts_nothing(member):
    before = changes.content_sum()
    BoardVisit.objects.create(user=member)
    assert changes.content_sum() == before


def test_a_write_rolled_back_counts_nothing(member):
    before = changes.content_sum()
    try:
        with transaction.atomic():
            Organisation.objects.filter(pk=member.organisation_id).update(name="取消市")
            raise RuntimeError
    except RuntimeError:
        pass
    assert changes.content_sum() == before


def test_folding_keeps_the_sum_and_few_rows(member):
    for number in range(30):
        Organisation.objects.filter(pk=member.organisation_id).update(
            name=f"市{number}"
        )
    before = changes.content_sum()
    with connection.cursor() as cursor:
        cursor.execute("SELECT change_counter_fold()")
        cursor.execute("SELECT count(*) FROM change_counter WHERE person_id IS NULL")
        rows = cursor.fetchone()[0]
    assert changes.content_sum() == before
    assert rows == 1


def test_without_the_account_cache_the_account_is_one_query(
    member, settings, django_assert_num_queries
):
    settings.RENKEI_ACCOUNT_CACHE_SECONDS = 0
    BoardVisit.objects.create(user=member)
    with django_assert_num_queries(1):
        user = AuthenticationBackend().get_user(member.pk)
    assert user.organisation.name == member.organisation.name


def test_with_the_account_cache_a_second_read_costs_only_the_sums(
    member, django_assert_num_queries
):
    backend = AuthenticationBackend()
    backend.get_user(member.pk)
    with django_assert_num_queries(1):
        user = backend.get_user(member.pk)
    assert user.pk == member.pk
    assert user.organisation.name == member.organisation.name
