from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.register, name="register"),
    path("<int:pk>/", views.incident_detail, name="incident-detail"),
]
