"""The GPU reference: the kit's grid for a GPU machine, and that run's record read back as a dated table.

Used by `python -m utils.bench --gpu-reference PATH` (run on a machine with a GPU) and notebook 02
(`lesson.gpu_reference`). A common GPU image has PyTorch and JAX built for CUDA but no TensorFlow: the
run then reports every TensorFlow cell (tf-*, keras-tf*) as not available instead of failing, and
Keras (a pure-Python wheel) runs on JAX and on torch. The record is the kit's (`record.validate`),
with the GPU's name in machine["accelerators"]; the committed one is data/reference_results/bench_gpu.json.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from utils.bench.configs import CONFIGS, DEFAULT_CONFIGS, WORKLOADS
from utils.bench.record import MEASURED, find_cell, load_record
from utils.bench.verdict import contention_summary, mark
from utils.checks import check_dict
from utils.results import REFERENCE_DIR
from utils.tables import text_table

REFERENCE = REFERENCE_DIR / "bench_gpu.json"
BATCHES = (64, 1024)  # 64: the CPU run's batch (overhead-bound); 1024: more work per step for the GPU


def gpu_grid() -> dict:
    """The arguments of `run` for the GPU reference: every configuration, the three workloads, default sizes.

    About 2-3 minutes on an H200 with its imports and compiles (torch.compile's six are most of it).
    """
    return {"configs": DEFAULT_CONFIGS, "workloads": WORKLOADS, "batches": {w: BATCHES for w in WORKLOADS},
            "repeats": 7, "warmup": 3, "block_seconds": 0.1}


def on_gpu(record: dict) -> bool:
    """True when the record's run found a GPU and timed at least one cell on it."""
    check_dict("record", record)
    return bool(record["machine"].get("accelerators")) and any(
        r["state"] in MEASURED and any(k in (r["device"] or "").lower() for k in ("cuda", "gpu", "rocm"))
        for r in record["results"])


def reference_table(record: dict) -> str:
    """The record as a dated reference: device, date, versions, then ms/step per configuration and case."""
    check_dict("record", record)
    devices = ", ".join(record["machine"].get("accelerators") or []) or "no GPU (a CPU run)"
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items() if k != "numpy")
    missing = sorted({name for w in record["workers"].values() for name in w.get("missing", {})})
    others = [r["others"] for r in record["rounds"] if r.get("others") is not None]
    head = [f"GPU reference: {devices}, recorded {record['created'][:10]} ({versions})",
            f"{record['machine']['cpu']}; {record['settings']['repeats']} rounds, configurations interleaved"
            + (f"; not installed there: {', '.join(missing)}" if missing else ""),
            contention_summary(record) + (f"; other programs' share of the CPU: median {100 * np.median(others):.0f}%"
                                          if others else "")]
    cases = list(dict.fromkeys((r["workload"], r["batch"]) for r in record["results"]))
    configs = list(dict.fromkeys(r["config"] for r in record["results"]))
    absent = [c for c in configs if all(r["state"] == "unavailable" for r in record["results"] if r["config"] == c)]
    rows = []
    for config in (c for c in configs if c not in absent):
        row = {"configuration": CONFIGS[config].label}
        for workload, batch in cases:
            cell = find_cell(record, config, workload, batch)
            row[f"{workload} {batch}"] = (f"{1e3 * cell['median_s']:.3f} {mark(cell)}".strip()
                                          if cell["state"] in MEASURED else mark(cell))
        rows.append(row)
    table = text_table(rows, align={f"{w} {b}": ">" for w, b in cases}) if rows else "(no configuration ran)"
    return ("\n".join(head) + "\n\nms per training step (median):\n" + table
            + (f"\nnot available there: {', '.join(CONFIGS[c].label for c in absent)}" if absent else ""))


def load_reference(path=REFERENCE) -> dict | None:
    """The recorded GPU run, or None when none has been recorded at `path`."""
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    return load_record(path) if Path(path).exists() else None
