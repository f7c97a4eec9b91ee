"""HTML pages of the risk module."""

app_name = "risk"

urlpatterns = []
