# pose-service: the worker that turns videos into poses. One file builds two images, chosen
# with DEVICE (the pattern of immich's machine-learning image):
#   cuda (default)  nvidia/cuda runtime base; hmr2 (4D-Humans + PHALP) and mediapipe
#   cpu             slim Python base; mediapipe only (`pose,api` extras)
#   docker build -f docker/pose-service.Dockerfile --build-arg DEVICE=cpu .
# Model weights are never baked in: /models is a volume, and HOME points into it because
# 4D-Humans and PHALP find their caches only through HOME ($HOME/.cache/...).
ARG DEVICE=cuda

# ---------------------------------------------------------------------------------------------
# CUDA builder: the -devel image has nvcc and the CUDA headers that detectron2 and the NMR
# renderer compile against; none of it reaches the runtime image.
FROM nvidia/cuda:12.1.1-devel-ubuntu22.04 AS builder-cuda
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=60 \
    PIP_RETRIES=10 \
    PIP_RESUME_RETRIES=10 \
    PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv
# libgl1/libegl1/libglib2.0-0: the import check at the end of this stage loads OpenCV and
# pyrender (PyOpenGL opens libGL and libEGL when imported), as the runtime stage does.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3.10 python3.10-venv python3.10-dev git build-essential ca-certificates \
        libgl1 libegl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && python3.10 -m venv /opt/venv \
    && pip install --no-cache-dir --upgrade "pip>=25.1"
WORKDIR /build
# Dependencies first (the code comes last), each from a lock file: torch cu121 by hand, the
# rest compiled (`make lock`) and installed with --no-deps because the lock is complete.
COPY requirements/torch-cu121.txt requirements/pose-cuda.txt requirements/hmr2-git.txt requirements/
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r requirements/torch-cu121.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps -r requirements/pose-cuda.txt \
    && pip install --no-deps --no-build-isolation -r requirements/hmr2-git.txt
# Kernels for detectron2's and NMR's compiled ops. Code for X.y runs on any X.z with z >= y, so
# 7.0 V100, 7.5 T4, 8.0 A100/A30, 8.6 RTX 30xx/A10/A40/A-series and also 8.9 RTX 40xx/L4/L40S,
# 9.0 H100/H200; +PTX adds 9.0's portable code, which the driver compiles for newer GPUs. A GPU
# left out fails with "no kernel image is available for execution on the device". torch 2.5's
# cpp_extension takes 3.5 up to 9.0a here (no 10.x/12.x: RTX 50xx needs a newer torch).
ARG TORCH_CUDA_ARCH_LIST="7.0;7.5;8.0;8.6;9.0+PTX"
ARG DETECTRON2_COMMIT=a2f4a8771ab77e8411c26b27f24f9489a28a2453
ARG NMR_COMMIT=e990b3c70f48d39231f607c79d76ce3db4bf7483
ENV TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST} \
    FORCE_CUDA=1 \
    CUDA_HOME=/usr/local/cuda \
    MAX_JOBS=4
# --no-cache-dir on purpose: pip would reuse a wheel built for another TORCH_CUDA_ARCH_LIST.
# --no-build-isolation: both setup.py files import torch. Two layers, so a change to one pin
# does not recompile the other.
RUN pip install --no-cache-dir --no-deps --no-build-isolation \
        "detectron2 @ git+https://github.com/facebookresearch/detectron2.git@${DETECTRON2_COMMIT}"
# hadolint ignore=DL3059
RUN pip install --no-cache-dir --no-deps --no-build-isolation \
        "neural-renderer-pytorch @ git+https://github.com/shubham-goel/NMR.git@${NMR_COMMIT}"
# 4D-Humans stays a checkout: its tracker entry point (track.py) is not part of the installed
# hmr2 package, so the backend imports it from /opt/4D-Humans.
ARG HMR2_COMMIT=6ec79656a23c33237c724742ca2a0ec00b398b53
ARG PHALP_COMMIT=96f7e6c09fb858ec3f597d59246c151ab4394bc3
RUN git clone --quiet https://github.com/shubham-goel/4D-Humans.git /opt/4D-Humans \
    && git -C /opt/4D-Humans checkout --quiet --detach "${HMR2_COMMIT}" \
    && rm -rf /opt/4D-Humans/.git \
    && pip install --no-cache-dir --no-deps /opt/4D-Humans \
        "phalp @ git+https://github.com/brjathu/PHALP.git@${PHALP_COMMIT}"
# The build fails here, on any host, if a name the hmr2 backend takes from 4D-Humans, PHALP,
# detectron2 or NMR is not at these commits: the same imports, through the same paths, as the
# backend (posepipe.pose.hmr2_imports; no model, no GPU). posepipe's source goes beside the
# venv, not into it, and -B writes no .pyc: the venv the runtime stage copies stays the same.
COPY src/posepipe /build/src/posepipe
RUN PYTHONPATH=/build/src PYOPENGL_PLATFORM=egl \
    python -B -m posepipe.pose.hmr2_imports /opt/4D-Humans

# CUDA runtime: no compiler. EGL/GL because PHALP and 4D-Humans import pyrender, whose PyOpenGL
# opens them on import (the backend builds no renderer), glib/GL for OpenCV, wget because
# PHALP shells out to it.
FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04 AS runtime-cuda
ENV DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3.10 tini ca-certificates wget \
        libgl1 libegl1 libopengl0 libgles2 libglib2.0-0 libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /usr/share/glvnd/egl_vendor.d \
    && printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libEGL_nvidia.so.0"}}\n' \
        > /usr/share/glvnd/egl_vendor.d/10_nvidia.json
# graphics: the container toolkit then mounts the driver's EGL/GL libraries (the 10_nvidia.json
# above tells glvnd to use them); the CUDA base images ask for compute,utility only.
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
    PYOPENGL_PLATFORM=egl
COPY --from=builder-cuda /opt/venv /opt/venv
COPY --from=builder-cuda /opt/4D-Humans /opt/4D-Humans

# ---------------------------------------------------------------------------------------------
# CPU: mediapipe only (its model file ships inside the wheel).
FROM python:3.11-slim-bookworm AS builder-cpu
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
COPY requirements/pose-cpu.txt requirements/
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps -r requirements/pose-cpu.txt

FROM python:3.11-slim-bookworm AS runtime-cpu
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder-cpu /opt/venv /opt/venv

# ---------------------------------------------------------------------------------------------
# The image itself, the same for both devices.
# hadolint ignore=DL3006
FROM runtime-${DEVICE} AS runtime
ARG DEVICE
# The host user's ids (Compose passes UID/GID), so files written to bind mounts stay theirs.
ARG UID=1000
ARG GID=1000
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/models \
    MODEL_CACHE_DIR=/models \
    MEDIA_DIR=/data/media \
    LOG_DIR=/data/logs \
    LOG_FORMAT=json \
    POSE_HEALTH_PORT=8001
LABEL org.opencontainers.image.title="posepipe pose-service" \
      io.posepipe.device="${DEVICE}"
RUN groupadd --non-unique --gid "${GID}" posepipe \
    && useradd --non-unique --uid "${UID}" --gid "${GID}" --home-dir /models --no-create-home \
        --shell /usr/sbin/nologin posepipe \
    && mkdir -p /app /models /data/media /data/logs \
    && chown "${UID}:${GID}" /models /data/media /data/logs
WORKDIR /app
# The code, last. Editable, so the bind-mounted ./src of the dev setup is what runs.
COPY pyproject.toml README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps -e . \
    && posepipe --help > /dev/null
USER ${UID}:${GID}
VOLUME ["/models"]
EXPOSE 8001
# Long start period: hmr2 loads several GB of weights before it reports healthy.
HEALTHCHECK --interval=30s --timeout=10s --start-period=600s --start-interval=1s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('POSE_HEALTH_PORT', '8001'), timeout=8)"]
ENTRYPOINT ["tini", "--"]
CMD ["posepipe", "worker", "--host", "0.0.0.0", "--health-port", "8001"]
