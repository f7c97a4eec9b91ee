"""API of the samples reports."""

urlpatterns = []
