from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("", views.payment_list, name="list"),
    # /payments/<pk>/
    path("<int:pk>/", views.payment_detail, name="detail"),
    path("<int:pk>/edit/", views.payment_update, name="update"),
    path("<int:pk>/refund/", views.payment_refund, name="refund"),
    path("<int:pk>/delete/", views.payment_delete, name="delete"),
    # /payments/<pk>/lines/
    path("<int:pk>/lines/add/", views.line_add, name="line_add"),
    path("<int:pk>/lines/<int:line_pk>/edit/", views.line_edit, name="line_edit"),
    path("<int:pk>/lines/<int:line_pk>/remove/", views.line_remove, name="line_remove"),
]
