from django.urls import path

from sites import views

app_name = "sites"
urlpatterns = [
    path("", views.site_list, name="list"),
    path("add/", views.site_add, name="add"),
    path("view/", views.site_view_preference, name="view_preference"),
    # /sites/<id>/
    path("<int:pk>/", views.site_detail, name="detail"),
    path("<int:pk>/transfer/", views.site_transfer, name="transfer"),
    path("<int:pk>/active/", views.site_set_active, name="set_active"),
    path("<int:pk>/delete/", views.site_delete, name="delete"),
]
