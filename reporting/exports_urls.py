"""HTML routes of the exports reports."""

urlpatterns = []
