import pytest


@pytest.fixture
def eager_worker():
    """Tasks run where they are sent, as a worker would run them: with a test marked
    ``django_db(transaction=True)`` the run is queued after the real commit and built before
    the request that asked for it goes on."""
    from aims.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager
