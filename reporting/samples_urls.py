"""HTML routes of the samples reports."""

urlpatterns = []
