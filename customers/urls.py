from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("add/", views.customer_add, name="add"),
    path("export.csv", views.customer_export, name="export"),
    path("bulk/", views.customer_bulk, name="bulk"),
    path("view/", views.customer_view_preference, name="view_preference"),
    path("<int:pk>/", views.customer_detail, name="detail"),
]
