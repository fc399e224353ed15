"""/calendar/, in the "calendar" namespace: the board's events and
deadlines (boards.views.calendar), mounted apart from /boards/ by the URL
contract."""

from django.urls import path

from .views import calendar

app_name = "calendar"

urlpatterns = [
    path("", calendar.CalendarMonthView.as_view(), name="month"),
    path("list/", calendar.CalendarListView.as_view(), name="list"),
    path("feed/reissue/", calendar.FeedReissueView.as_view(), name="feed_reissue"),
    path("feed/<str:token>.ics", calendar.feed, name="feed"),
]
