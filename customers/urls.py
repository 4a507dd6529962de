from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("add/", views.customer_add, name="add"),
    path("export.csv", views.customer_export, name="export"),
    path("bulk/", views.customer_bulk, name="bulk"),
    path("view/", views.customer_view_preference, name="view_preference"),
    path("delete/", views.customers_delete, name="delete_many"),
    # /customers/<id>/
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/vip/", views.customer_vip, name="vip"),
    path("<int:pk>/verification/", views.customer_resend_verification, name="resend_verification"),
    path("<int:pk>/notes/", views.customer_note_add, name="note_add"),
    path("<int:pk>/notes/<int:note_pk>/delete/", views.customer_note_delete, name="note_delete"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
]
