"""Reads of deliveries and the inbox."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet

from .models import Delivery, DeliveryAttempt, Notification


def deliveries_for_target(target) -> QuerySet[Delivery]:
    content_type = ContentType.objects.get_for_model(type(target))
    return (
        Delivery.objects.filter(clock__target_type=content_type, clock__target_id=target.pk)
        .select_related("recipient", "clock")
        .prefetch_related(
            Prefetch("attempts", queryset=DeliveryAttempt.objects.select_related("endpoint"))
        )
        .order_by("created_at", "id")
    )


def deliveries_to(user) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(recipient=user)
        .select_related("recipient", "clock")
        .prefetch_related(
            Prefetch("attempts", queryset=DeliveryAttempt.objects.select_related("endpoint"))
        )
        .order_by("-created_at", "-id")
    )


def inbox(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
