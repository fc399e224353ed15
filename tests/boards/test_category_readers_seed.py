import pytest
from django.core.management import call_command

from boards import permissions
from boards.models import Category
from members.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_has_a_category_only_the_wards_read(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    category = Category.objects.get(slug="ward-coordination")
    assert (category.name, category.readers) == ("区間調整", "wards")
    thread = category.threads.get()
    assert thread.posts.count() == 3
    assert {post.organisation.kind for post in thread.posts.all()} == {"special_ward"}
    chiyoda = User.objects.get(email="chiyoda@example.jp")
    nanao = User.objects.get(email="nanao@example.jp")
    assert permissions.can_view_thread(chiyoda, thread)
    assert not permissions.can_view_thread(nanao, thread)
