"""A fair speed benchmark: one training step of the same model in Keras, TensorFlow and PyTorch.

Used by notebook 02 (speed).

    python -m utils.bench --quick                  # every configuration, the quick grid (~1-2 min on 2 cores)

    from utils import bench
    record = bench.run(**bench.grid(quick=True))   # JSON-able: machine, versions, contention, every sample
    print(bench.results_table(record))
    print(bench.verdict(record, "torch-eager", "tf-function", "mlp", 64))

The package along its seams: `configs` (configurations, grid, FLOPs), `steps` (the steps of
`utils.training`, Keras through `fit`), `timing` (timing, statistics, the contention probe), `workers`
(one process per back end), `runner` (`run`), `record` (one `Cell` per result, save/load/validate),
`verdict` (the table and a verdict that says "cannot tell" when the run cannot rank), `gpu` (the GPU
reference run, where TensorFlow may be missing: its cells are then "not available", and its dated table).
"""

from utils.bench.claims import claims_grid, claims_table, fix_table, fix_verdicts, judge_claims
from utils.bench.configs import (
                                 CONFIGS,
                                 DEFAULT_CONFIGS,
                                 LEARNING_RATE,
                                 MATMUL_SIZE,
                                 NATIVE_TWIN,
                                 PROCESSES,
                                 SCALED,
                                 SPE_BASE,
                                 STEPS_PER_EXECUTION,
                                 WORKLOADS,
                                 Config,
                                 check_grid,
                                 grid,
                                 scaled_sizes,
                                 step_flops,
                                 synthetic_batch,
)
from utils.bench.record import SCHEMA, STATES, Cell, find_cell, load_record, save_record, validate
from utils.bench.runner import run
from utils.bench.steps import timed_step
from utils.bench.timing import MAX_SPREAD, MIN_EFFICIENCY, cpu_pressure, probe, summarize
from utils.bench.verdict import (
                                 MARGIN,
                                 Verdict,
                                 contention_summary,
                                 keras_overhead_table,
                                 mark,
                                 peak_line,
                                 results_table,
                                 verdict,
)

__all__ = ["CONFIGS", "Cell", "Config", "DEFAULT_CONFIGS", "LEARNING_RATE", "MARGIN", "MATMUL_SIZE", "MAX_SPREAD",
           "MIN_EFFICIENCY", "NATIVE_TWIN", "PROCESSES", "SCALED", "SCHEMA", "SPE_BASE", "STATES",
           "STEPS_PER_EXECUTION", "Verdict", "WORKLOADS", "check_grid", "claims_grid", "claims_table",
           "contention_summary", "cpu_pressure", "find_cell", "fix_table", "fix_verdicts", "grid", "judge_claims",
           "keras_overhead_table", "load_record", "mark", "peak_line", "probe", "results_table", "run",
           "save_record", "scaled_sizes", "step_flops", "summarize", "synthetic_batch", "timed_step", "validate",
           "verdict"]
