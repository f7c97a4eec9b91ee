from aims.core.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("systems", views.AISystemViewSet, basename="system")
router.register("model-versions", views.ModelVersionViewSet, basename="model-version")
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("monitoring-rules", views.MonitoringRuleViewSet, basename="monitoring-rule")

urlpatterns = router.urls
