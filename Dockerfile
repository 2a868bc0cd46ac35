# newsum: one image for the API, the workers and Flower.
#
#   docker-compose up -d --scale worker=4        # API on :8000, Flower on :5555
#   docker-compose run --rm worker newsum models pull
#   docker-compose --profile gpu up -d worker-gpu
#
# torch goes in first, from the PyTorch index named by TORCH_INDEX (CPU by
# default): a plain `pip install torch` from PyPI pulls the multi-GB CUDA build.
# The GPU worker builds this same file with a CUDA index (see docker-compose.yml).
FROM python:3.11-slim AS app

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEWSUM_MODEL_DIR=/models

RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"

WORKDIR /app
# Dependencies change less often than code: constraints and metadata first.
COPY pyproject.toml constraints.txt README.md ./
COPY models ./models
COPY workers ./workers
COPY service ./service
# torch is already satisfied, so pip keeps the build chosen above.
RUN pip install -c constraints.txt . \
    && python -c "import torch, service, workers; print('torch', torch.__version__)"

# Run as a user, not root; /models is where `newsum models pull` puts weights
# (a named volume in docker-compose.yml, so weights survive rebuilds).
RUN useradd --create-home --uid 10001 newsum \
    && mkdir -p /models \
    && chown newsum:newsum /models
USER newsum

EXPOSE 8000
CMD ["uvicorn", "--factory", "service.app:create_app", "--host", "0.0.0.0", "--port", "8000"]

# Flower is a monitoring extra, kept out of the API and worker image.
FROM app AS flower
USER root
RUN pip install -c constraints.txt "flower>=2.0"
USER newsum
EXPOSE 5555
