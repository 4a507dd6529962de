from django.urls import path

from events import views

app_name = "events"
# Read-only on purpose: the audit trail has no page that changes or deletes an event.
urlpatterns = [
    path("", views.event_list, name="list"),
    path("<int:pk>/", views.event_detail, name="detail"),
]
