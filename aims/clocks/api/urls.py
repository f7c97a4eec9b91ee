from django.urls import path

from .views import MyWorkView

urlpatterns = [path("me/work/", MyWorkView.as_view(), name="api-my-work")]
