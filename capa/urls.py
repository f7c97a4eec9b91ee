"""HTML pages of the learning loop."""

app_name = "capa"

urlpatterns = []
