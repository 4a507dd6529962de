from django.urls import path

from memberships import views

app_name = "memberships"
urlpatterns = [
    path("", views.membership_list, name="list"),
    # /memberships/products/
    path("products/", views.product_list, name="products"),
]
