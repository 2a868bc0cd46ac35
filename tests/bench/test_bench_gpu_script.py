"""bench/gpu.sh refuses a machine it cannot run on, with the reasons, before any work.

Only the refusal can be checked on a CPU machine: the run itself needs a GPU
(README, Performance).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@pytest.mark.skipif(_cuda_available(), reason="this machine has a GPU: gpu.sh would run")
def test_gpu_script_names_what_this_machine_lacks_and_stops(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(REPO / "bench" / "gpu.sh")],
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "torch sees no CUDA device" in done.stderr
    assert "CTranslate2 sees no CUDA device" in done.stderr
    # CTranslate2's CUDA build opens cuBLAS 12 only at its first GPU product:
    # the script says so up front (the check finds no libcublas.so.12 here).
    assert "libcublas.so.12" in done.stderr
    # It stopped at the check: no benchmark started, no model was built.
    assert "== CTranslate2" not in done.stdout
    assert not (tmp_path / ".cache").exists()
