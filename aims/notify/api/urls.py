from django.urls import path

from .views import DeliveryListView, InboxView, MarkReadView

urlpatterns = [
    path("notifications/", DeliveryListView.as_view(), name="api-notifications"),
    path("inbox/", InboxView.as_view(), name="api-inbox"),
    path("inbox/read/", MarkReadView.as_view(), name="api-inbox-read"),
]
