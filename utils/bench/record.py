"""The benchmark's record: one `Cell` per (configuration, workload, batch) with an explicit state.

Used by notebook 02 (speed) through `utils.bench`: `save_record`, `load_record`, `validate`, `find_cell`.

A cell's `state` is one of STATES: "ok" (timed, spread within the limit, quiet), "noisy" (IQR/median
above `timing.MAX_SPREAD`), "contended" (timed while another program held the CPU: see `timing`),
"failed" (with its `reason`), "unavailable" (its library is not installed where the kit ran, e.g. TensorFlow
on a GPU image that has only PyTorch and JAX; shown as "not available", with its `reason`), or "pending"
(while the run is under way). MEASURED are the states with timings.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from utils.bench.configs import CONFIGS, WORKLOADS
from utils.bench.timing import summarize
from utils.checks import check_choice, check_dict, check_int, check_str

SCHEMA = "kvtvp-bench/2"
STATES = ("pending", "ok", "noisy", "contended", "failed", "unavailable")
MEASURED = ("ok", "noisy", "contended")
ADDED_FIELDS = ("feed_s",)  # Cell fields newer than some committed records: read as None where absent


@dataclass
class Cell:
    """One configuration on one workload at one batch size, and what the run measured for it."""

    config: str
    label: str
    framework: str
    process: str
    workload: str
    batch: int
    sizes: dict
    flops_per_step: int
    state: str = "pending"
    reason: str | None = None
    device: str | None = None
    steps: int | None = None  # steps per timed block
    first_step_s: float | None = None
    first_loss: float | None = None
    estimate_s: float | None = None
    per_call_s: float | None = None  # Keras: one train_on_batch call (fit is what is timed)
    feed_s: float | None = None  # Keras on JAX or torch: drawing one batch through fit's data adapter, per step
    samples_s: list = field(default_factory=list)
    cpu_share: list = field(default_factory=list)  # the worker's CPU time / wall time per block
    rounds: list = field(default_factory=list)  # the round index of each sample
    median_s: float | None = None
    q1_s: float | None = None
    q3_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    spread: float | None = None
    contended_share: float | None = None
    gflops: float | None = None
    share_of_peak: float | None = None

    @property
    def key(self) -> str:
        return f"{self.config}|{self.workload}|{self.batch}"

    def fail(self, reason: str) -> None:
        """Mark the cell failed with `reason` (kept if it already failed)."""
        if self.state != "failed":
            self.state, self.reason = "failed", reason

    def unavailable(self, reason: str) -> None:
        """Mark the cell not available: its library cannot be imported where the kit runs (`reason` says which)."""
        self.state, self.reason = "unavailable", reason


def validate(record) -> dict:
    """`record` if it is a complete benchmark record; ValueError naming the first problem."""
    check_dict("record", record)

    def need(ok, where, what):
        if not ok:
            raise ValueError(f"invalid benchmark record: {where}: {what}")

    for key in ("schema", "created", "settings", "machine", "versions", "rounds", "peak", "results", "wall_s"):
        need(key in record, key, "missing")
    need(record["schema"] == SCHEMA, "schema", f"expected {SCHEMA!r}, got {record['schema']!r}")
    need(isinstance(record["results"], list) and record["results"], "results", "expected a non-empty list")
    names = {f.name for f in fields(Cell)}
    for i, r in enumerate(record["results"]):
        for name in ADDED_FIELDS:
            r.setdefault(name, None)
        where = f"results[{i}] ({r.get('config')} {r.get('workload')} batch {r.get('batch')})"
        need(set(r) == names, where, f"fields differ from Cell: {sorted(set(r) ^ names)}")
        need(r["config"] in CONFIGS and r["workload"] in WORKLOADS, where, "unknown configuration or workload")
        need(r["state"] in STATES and r["state"] != "pending", where, f"state {r['state']!r} is not final")
        if r["state"] not in MEASURED:
            need(isinstance(r["reason"], str) and r["reason"].strip(), where,
                 f"a {r['state']} cell must give its reason")
            continue
        need(len(r["samples_s"]) == len(r["rounds"]) >= 1, where, "one round index per sample")
        stats = summarize(r["samples_s"])
        need(all(math.isclose(stats[k], r[f"{k}_s"], rel_tol=1e-9) for k in ("median", "q1", "q3", "min", "max")),
             where, "the statistics do not match the samples")
        need(math.isclose(r["gflops"], r["flops_per_step"] / r["median_s"] / 1e9, rel_tol=1e-9), where,
             "gflops must be flops_per_step / median_s")
    return record


def save_record(record: dict, path) -> Path:
    """Write the record as JSON (after validating it); return the path."""
    validate(record)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def load_record(path) -> dict:
    """Read and validate a record written by `save_record`."""
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    return validate(json.loads(Path(path).read_text()))


def find_cell(record: dict, config: str, workload: str, batch: int) -> dict:
    """The result of one cell as a dict (ValueError when the run did not include it)."""
    check_dict("record", record)
    check_choice("config", check_str("config", config), tuple(CONFIGS))
    check_choice("workload", check_str("workload", workload), WORKLOADS)
    check_int("batch", batch, minimum=1)
    for r in record["results"]:
        if (r["config"], r["workload"], r["batch"]) == (config, workload, batch):
            return r
    raise ValueError(f"the record has no result for {config} on {workload} at batch {batch}")


def as_dict(cell: Cell) -> dict:
    """The cell as a JSON-able dict (the form stored in a record's results)."""
    return asdict(cell)
