from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("disclosure/regimes", views.RegimeRuleViewSet, basename="disclosure-regime")

urlpatterns = [
    path("disclosure/evaluate/", views.EvaluateView.as_view(), name="disclosure-evaluate"),
    *router.urls,
]
