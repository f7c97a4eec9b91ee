"""API of the review reports."""

urlpatterns = []
