"""REST API of the risk module."""

urlpatterns = []
