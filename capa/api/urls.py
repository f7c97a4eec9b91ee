"""REST API of the learning loop."""

urlpatterns = []
