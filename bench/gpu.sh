#!/usr/bin/env bash
# newsum's benchmark on one CUDA GPU, in under 8 minutes: the same arms and table
# as `python -m bench.run`, with CTranslate2 in float16 and in int8_float16 and
# transformers (the naive and batched arms) in float16; then the llm arm (a
# random-weight decoder of the real Qwen2.5-1.5B-Instruct size) in CTranslate2
# float16, beside opus-mt in float16. Its first run builds that decoder in float16
# (~3 GB, in ~/.cache/newsum/bench/qwen2.5-1.5b-random-float16).
#
#   bench/gpu.sh                 # both CTranslate2 compute types and the llm arm, tables
#   bench/gpu.sh --json          # extra flags go to every bench.run call
#   PYTHON=/path/to/python bench/gpu.sh
#
# Needs a Python with torch built for CUDA, ctranslate2 (4.8's Linux wheel loads
# cuBLAS 12, libcublas.so.12, at run time: a torch built for CUDA 12 brings it in
# its nvidia-cublas-cu12 wheel; a CUDA 13 torch does not) and the project's
# packages. The CPU-only torch of the development venv cannot run this.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"

"$PY" - <<'CHECK'
import ctypes
import sys

import ctranslate2
import torch

problems = []
if not torch.cuda.is_available():
    problems.append("torch sees no CUDA device (CPU-only torch?)")
if ctranslate2.get_cuda_device_count() == 0:
    problems.append("CTranslate2 sees no CUDA device")
elif "float16" not in ctranslate2.get_supported_compute_types("cuda"):
    problems.append("CTranslate2 cannot compute in float16 on this GPU")
try:
    # CTranslate2 opens cuBLAS only at its first GPU matrix product: find out now,
    # not after the models are built. torch, imported above, may have loaded it.
    ctypes.CDLL("libcublas.so.12")
except OSError:
    problems.append(
        f"CTranslate2 {ctranslate2.__version__} needs cuBLAS 12 (libcublas.so.12), not "
        f"found (torch {torch.__version__}, CUDA {torch.version.cuda or 'none'}): install "
        "nvidia-cublas-cu12 and put its lib folder on LD_LIBRARY_PATH"
    )
if problems:
    sys.exit("bench/gpu.sh: " + "; ".join(problems))
print(f"GPU: {torch.cuda.get_device_name(0)}, ctranslate2 {ctranslate2.__version__}, torch {torch.__version__}")
CHECK

# A GPU is fed far more than 2 CPU cores: more articles, more clients; naive stays a subset.
COMMON=(--device cuda --articles 16 --sentences 60 --clients 8 --naive-articles 2 --naive-sentences 16)

echo "== CTranslate2 float16, transformers float16 (all arms but llm)"
timeout 230 "$PY" -m bench.run "${COMMON[@]}" --ct2-compute-type float16 --no-llm "$@"

echo
echo "== CTranslate2 int8_float16 (in-process CTranslate2 arms only)"
timeout 60 "$PY" -m bench.run "${COMMON[@]}" --ct2-compute-type int8_float16 --no-llm \
  --skip naive --skip transformers --skip service --skip cache_hit "$@"

echo
echo "== llm arm: Qwen2.5-1.5B-Instruct-size decoder, CTranslate2 float16, opus-mt float16 beside it"
timeout 180 "$PY" -m bench.run "${COMMON[@]}" --ct2-compute-type float16 \
  --llm-compute-type float16 --llm-articles 8 \
  --skip naive --skip transformers --skip ctranslate2 --skip pipeline --skip service \
  --skip cache_hit "$@"
