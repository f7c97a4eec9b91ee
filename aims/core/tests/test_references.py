"""References are allocated without gaps or duplicates, also under concurrent creation."""

import threading

import pytest
from django.db import connection, transaction

from aims.core.references import allocate_reference
from inventory.models import AISystem


@pytest.mark.django_db(transaction=True)
def test_parallel_system_creates_get_gapless_unique_references(users):
    from inventory import services

    workers, per_worker = 6, 3
    errors, barrier = [], threading.Barrier(workers)

    def create_some(n):
        try:
            barrier.wait()
            for i in range(per_worker):
                services.system_create(
                    actor=users["grc"],
                    data={
                        "name": f"Parallel {n}-{i}",
                        "intended_purpose": "test",
                        "business_owner": users["engineer"],
                    },
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_some, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    references = sorted(AISystem.objects.values_list("reference", flat=True))
    assert references == [f"AIS-{i:04d}" for i in range(1, workers * per_worker + 1)]


@pytest.mark.django_db
def test_a_rolled_back_creation_gives_its_number_back():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        assert allocate_reference("TST") == "TST-0001"
        raise Boom
    with transaction.atomic():
        assert allocate_reference("TST") == "TST-0001"
        assert allocate_reference("TST") == "TST-0002"
