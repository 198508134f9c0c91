#!/usr/bin/env bash
# Recompile the lock files the images install from (`make lock`), after a change to
# pyproject.toml's dependencies or to requirements/hmr2-cuda.in. Resolved for the images'
# platform (manylinux x86_64) and Python (3.11 slim images, 3.10 on Ubuntu 22.04 CUDA), not
# this machine's. torch-cu121.txt and hmr2-git.txt are pinned by hand (see their headers).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
UV=$(command -v uv || true)
if [ -z "$UV" ]; then
    "$VENV/bin/python" -m pip install --quiet 'uv>=0.5'
    UV="$VENV/bin/uv"
fi
common=(--python-platform x86_64-manylinux_2_28 --no-header --annotation-style line --quiet)

"$UV" pip compile pyproject.toml --extra api --python-version 3.11 "${common[@]}" \
    -o requirements/api.txt
"$UV" pip compile pyproject.toml --extra api --extra pose --python-version 3.11 "${common[@]}" \
    -o requirements/pose-cpu.txt
# The CUDA image gets torch and its nvidia-* wheels from the cu121 index (torch-cu121.txt), and
# cv2 from mediapipe's opencv-contrib-python (two cv2 wheels would overwrite each other).
no_emit=()
for package in torch torchvision triton opencv-python nvidia-cublas-cu12 nvidia-cuda-cupti-cu12 \
    nvidia-cuda-nvrtc-cu12 nvidia-cuda-runtime-cu12 nvidia-cudnn-cu12 nvidia-cufft-cu12 \
    nvidia-curand-cu12 nvidia-cusolver-cu12 nvidia-cusparse-cu12 nvidia-nccl-cu12 \
    nvidia-nvjitlink-cu12 nvidia-nvtx-cu12; do
    no_emit+=(--no-emit-package "$package")
done
"$UV" pip compile pyproject.toml requirements/hmr2-cuda.in --extra api --extra pose --extra hmr2 \
    --python-version 3.10 "${common[@]}" "${no_emit[@]}" -o requirements/pose-cuda.txt
echo "requirements/{api,pose-cpu,pose-cuda}.txt compiled"
