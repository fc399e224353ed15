from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from config import urls as site_urls


@login_not_required
def hold_the_database(request, seconds):
    """One statement that takes `seconds`: a misplanned query, in effect."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [seconds])
    return HttpResponse("finished\n", content_type="text/plain")


urlpatterns = [
    path("slow/<int:seconds>/", hold_the_database),
    *site_urls.urlpatterns,
]
handler500 = site_urls.handler500
