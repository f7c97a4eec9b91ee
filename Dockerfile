# AIMS Register: production image (web, Celery worker and beat all run from it).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_INPUT=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=aims.settings.production \
    MEDIA_ROOT=/var/lib/aims/media

# WeasyPrint needs Pango and a font; shared-mime-info for media-type detection.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system aims \
    && useradd --system --gid aims --create-home --home-dir /home/aims --shell /usr/sbin/nologin aims \
    && mkdir -p /var/lib/aims/media \
    && chown -R aims:aims /var/lib/aims

WORKDIR /app

# Dependencies first (from pyproject's [project] dependencies) so code changes keep this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project runs from its source directory; the editable install puts its packages on the path
# for gunicorn and celery too. Code stays owned by root: the app user cannot modify it.
COPY . .
RUN pip install --no-cache-dir --no-deps -e .

# Static files are collected at build time. These values exist only for this command and are
# not kept in the image; real ones come from the environment at run time.
RUN SECRET_KEY=collectstatic-build-only \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput -v0

# Evidence files (uploads) persist here.
VOLUME ["/var/lib/aims/media"]

USER aims
EXPOSE 8000

# No HEALTHCHECK here: the same image runs the Celery worker and beat, which serve no HTTP.
# docker-compose.yml sets the web health check.
CMD ["gunicorn", "aims.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
