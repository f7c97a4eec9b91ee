"""Data generator for benchmarks: many open incidents with their clocks, written in bulk."""

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from aims.accounts.models import User
from aims.clocks.models import Clock
from aims.clocks.services import policy_for
from incidents.models import AffectedSystem, Incident
from inventory.models import AISystem

BATCH = 5000


def ensure_base(systems: int = 50):
    owner, _ = User.objects.get_or_create(
        username="bench-owner", defaults={"email": "bench@example.org"}
    )
    have = AISystem.objects.count()
    AISystem.objects.bulk_create(
        [
            AISystem(
                reference=f"AIS-B{i:05d}",
                name=f"Bench system {i}",
                intended_purpose="benchmark",
                business_owner=owner,
            )
            for i in range(have, systems)
        ]
    )
    return owner, list(AISystem.objects.values_list("id", flat=True)[:systems])


def generate_open_incidents(count: int, *, seed: int = 7) -> int:
    """``count`` open incidents, each with an affected system and triage, notify and investigation
    clocks whose next action lies in the future (a quiet tick)."""
    rng = random.Random(seed)
    owner, system_ids = ensure_base()
    now = timezone.now()
    year = now.year
    start = Incident.objects.count()
    incident_type = ContentType.objects.get_for_model(Incident)
    policies = {kind: policy_for(kind, 1) for kind in ("triage", "notify", "investigation")}
    made = 0
    while made < count:
        n = min(BATCH, count - made)
        incidents = Incident.objects.bulk_create(
            [
                Incident(
                    reference=f"INC-{year}-B{start + made + i:07d}",
                    title=f"Bench incident {start + made + i}",
                    description="generated",
                    severity=rng.choice([0, 1, 2, 3]),
                    status="triaged",
                    detection_source="monitoring",
                    detected_at=now - timedelta(minutes=rng.randint(0, 600)),
                    reported_by=owner,
                )
                for i in range(n)
            ]
        )
        AffectedSystem.objects.bulk_create(
            [AffectedSystem(incident=inc, system_id=rng.choice(system_ids)) for inc in incidents]
        )
        clocks = []
        for inc in incidents:
            for kind, policy in policies.items():
                due = now + timedelta(hours=rng.randint(2, 72))
                clocks.append(
                    Clock(
                        target_type=incident_type,
                        target_id=inc.pk,
                        kind=kind,
                        label=f"{kind} bench",
                        policy=policy,
                        severity=inc.severity,
                        started_at=now,
                        due_at=due,
                        remind_at=due - timedelta(minutes=30),
                        owner=owner,
                        next_action_at=due - timedelta(minutes=30),
                    )
                )
        Clock.objects.bulk_create(clocks)
        made += n
    return made


def make_due(count: int) -> int:
    """Bring ``count`` clocks' next action into the past (a busy tick)."""
    past = timezone.now() - timedelta(minutes=1)
    # Clocks no earlier run has reminded, so each gets exactly one new reminder.
    fresh = Clock.objects.filter(
        next_action_at__isnull=False, reminded=False, deliveries__isnull=True
    )
    ids = list(fresh.values_list("id", flat=True)[:count])
    Clock.objects.filter(id__in=ids).update(
        next_action_at=past, remind_at=past, due_at=past + timedelta(hours=1)
    )
    return len(ids)
