from django.urls import path

from memberships import views

app_name = "memberships"
urlpatterns = [
    path("", views.membership_list, name="list"),
    path("add/", views.membership_add, name="add"),
    # /memberships/<id>/
    path("<int:pk>/", views.membership_detail, name="detail"),
    path("<int:pk>/lifetime/", views.membership_make_lifetime, name="make_lifetime"),
    path("<int:pk>/plan/", views.membership_change_plan, name="change_plan"),
    path("<int:pk>/addons/", views.membership_addon_set, name="addon_set"),
    path("<int:pk>/addons/remove/", views.membership_addon_remove, name="addon_remove"),
    path("<int:pk>/transfer/", views.membership_transfer, name="transfer"),
    path("<int:pk>/delete/", views.membership_delete, name="delete"),
    # /memberships/products/
    path("products/", views.product_list, name="products"),
    path("products/add/", views.product_add, name="product_add"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/deactivate/", views.product_deactivate, name="product_deactivate"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
]
