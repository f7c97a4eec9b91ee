"""HTML routes of the review reports."""

urlpatterns = []
