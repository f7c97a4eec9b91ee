"""References are allocated without gaps or duplicates, also under concurrent creation."""

import threading

import pytest
from django.db import connection, transaction

from aims.core.references import allocate_reference
from tests.testapp.models import Widget
from tests.testapp.services import widget_create


@pytest.mark.django_db(transaction=True)
def test_parallel_creates_get_gapless_unique_references(users):
    workers, per_worker = 6, 3
    errors, barrier = [], threading.Barrier(workers)

    def create_some(n):
        try:
            barrier.wait()
            for i in range(per_worker):
                widget_create(actor=users["grc"], name=f"Parallel {n}-{i}")
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
    references = sorted(Widget.objects.values_list("reference", flat=True))
    assert references == [f"WID-{i:04d}" for i in range(1, workers * per_worker + 1)]


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
