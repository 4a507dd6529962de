from django.urls import path

from customers import views

app_name = "account"
urlpatterns = [
    path("", views.account, name="index"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
]
