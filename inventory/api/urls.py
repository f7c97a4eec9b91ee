from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("systems", views.AISystemViewSet, basename="system")
router.register("model-versions", views.ModelVersionViewSet, basename="model-version")
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("monitoring-rules", views.MonitoringRuleViewSet, basename="monitoring-rule")

urlpatterns = router.urls
