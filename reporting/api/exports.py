"""API of the exports reports."""

urlpatterns = []
