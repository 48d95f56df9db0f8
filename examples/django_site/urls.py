from django.urls import path

from . import views

urlpatterns = [
    path("", views.home),
    path("api", views.api_status),
    path("api/status", views.api_status),
    path("robots.txt", views.robots_txt),
]
