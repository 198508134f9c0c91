# backend-api: FastAPI under uvicorn. The `api` extra only: no torch, no mediapipe, no OpenCV
# (the import-linter contract keeps posepipe.api from needing them).

FROM python:3.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=60 \
    PIP_RETRIES=10 \
    PIP_RESUME_RETRIES=10 \
    PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv
# pip >= 25.1 resumes a download that stalls part way (PIP_RESUME_RETRIES) instead of failing
# the whole build on the largest wheels; the venv's bundled pip is older.
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir --upgrade "pip>=25.1"
WORKDIR /build
# The lock is complete (compiled by `make lock`), hence --no-deps.
COPY requirements/api.txt requirements/
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps -r requirements/api.txt

FROM python:3.11-slim-bookworm AS runtime
# The host user's ids (Compose passes UID/GID), so files written to bind mounts stay theirs.
ARG UID=1000
ARG GID=1000
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --non-unique --gid "${GID}" posepipe \
    && useradd --non-unique --uid "${UID}" --gid "${GID}" --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin posepipe \
    && mkdir -p /app /data/media /data/logs \
    && chown "${UID}:${GID}" /data/media /data/logs
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDIA_DIR=/data/media \
    LOG_DIR=/data/logs \
    LOG_FORMAT=json \
    API_PORT=8000
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The code, last. Editable, so the bind-mounted ./src of the dev setup is what runs.
COPY pyproject.toml README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps -e . \
    && posepipe --help > /dev/null
USER ${UID}:${GID}
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --start-interval=2s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('API_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["tini", "--"]
CMD ["posepipe", "api", "--host", "0.0.0.0", "--port", "8000"]
