"""HTML routes of the management review: the dashboard and the request for its PDF pack."""

from django.urls import path

from . import review

urlpatterns = [
    path("dashboard/", review.dashboard, name="dashboard"),
    path("new/", review.review_new, name="review-new"),
]
