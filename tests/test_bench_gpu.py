"""utils.bench where a library is missing (a GPU image without TensorFlow) and the GPU reference shown in 02."""

import json
import os

import pytest

from utils import bench, models
from utils.bench import gpu, lesson, runner
from utils.bench.record import MEASURED

TF_CONFIGS = [c for c in bench.CONFIGS if bench.CONFIGS[c].process == "tensorflow"]
NO_TF = "tensorflow is not installed here (ModuleNotFoundError: No module named 'tensorflow')"
# Loaded by every Python started with this folder on PYTHONPATH: TensorFlow cannot be found, as if not installed
# (find_spec gives None, `import tensorflow` raises ModuleNotFoundError; torch._dynamo asks find_spec).
HIDE_TENSORFLOW = '''import importlib.machinery
import sys


class PathFinderWithoutTensorFlow(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return None if name.split(".")[0] == "tensorflow" else super().find_spec(name, path, target)


sys.meta_path[:] = [PathFinderWithoutTensorFlow if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
'''


def record_with(medians: dict, unavailable=(), device="cpu", accelerators=()):
    """A valid record as `run` builds it: {config: median seconds} measured (5 samples +-2%), `unavailable` not."""
    cells = []
    for config in [*medians, *unavailable]:
        cell = runner._cell(config, "mlp", 64, models.resolve_sizes("mlp"))
        if config in medians:
            cell.samples_s = [medians[config] * (1 + 0.01 * f) for f in (-2, -1, 0, 1, 2)]
            cell.rounds, cell.cpu_share = list(range(5)), [1.0] * 5
            cell.first_step_s, cell.first_loss, cell.steps, cell.device = 0.5, 2.3, 10, device
        else:
            cell.unavailable(NO_TF)
        cells.append(cell)
    record = {"schema": bench.SCHEMA, "created": "2026-11-24T10:00:00+00:00",
              "settings": {"threads_requested": None, "repeats": 5, "max_spread": bench.MAX_SPREAD,
                           "configs": [c.config for c in cells]},
              "machine": {"cpu": "test CPU", "cpu_count": 16, "usable_cpus": 16, "accelerators": list(accelerators)},
              "versions": {"python": "3.12.3", "numpy": "2.5", "torch": "2.11.0"}, "calibration_s": 1e-3,
              "workers": {"tensorflow": {"missing": {"tensorflow": "ModuleNotFoundError: No module named"}}},
              "wall_s": 1.0, "rounds": [{"efficiency": 0.95, "slowdown": 1.0, "pressure": None, "contended": False}
                                        for _ in range(5)]}
    runner.finish(record, cells, {"torch": {"median_gflops": 1000.0, "best_gflops": 1100.0}})
    return bench.validate(record)


def test_not_available_cells_are_valid_shown_and_never_ranked_or_counted():
    record = record_with({"torch-eager": 1e-3, "keras-jax": 0.5e-3}, unavailable=["tf-function", "keras-tf"])
    cells = {r["config"]: r for r in record["results"]}
    assert cells["tf-function"]["state"] == "unavailable" and cells["tf-function"]["median_s"] is None
    assert "not available: tensorflow is not installed" in bench.results_table(record)
    v = bench.verdict(record, "torch-eager", "tf-function", "mlp", 64)
    assert v.word == "cannot tell" and "tf.function is not available on this machine" in v.text
    assert "close other programs" not in v.text, "nothing to retry: the library is not there"
    assert "Keras/TF" not in bench.keras_overhead_table(record, "mlp", 64)
    assert lesson.check_best_share(record, "mlp", 64, "keras-jax")
    assert not lesson.check_best_share(record, "mlp", 64, "tf-function")
    key = lesson.key_results(record, record)
    assert key["ms_per_step"] == {"PyTorch": 1.0, "Keras": 0.5}
    broken = {**record, "results": [{**cells["keras-tf"], "reason": None}]}
    with pytest.raises(ValueError, match="unavailable cell must give its reason"):
        bench.validate(broken)


def test_gpu_reference_is_a_dated_table_or_says_none_was_recorded(tmp_path):
    assert lesson.gpu_reference(tmp_path / "absent.json").startswith("No GPU run recorded")
    cpu_run = record_with({"torch-eager": 1e-3})
    assert not gpu.on_gpu(cpu_run)
    bench.save_record(cpu_run, tmp_path / "cpu.json")
    assert "found no GPU" in lesson.gpu_reference(tmp_path / "cpu.json")
    record = record_with({"torch-eager": 0.2e-3, "keras-jax": 0.1e-3}, unavailable=TF_CONFIGS, device="cuda:0",
                         accelerators=["NVIDIA H200"])
    assert gpu.on_gpu(record)
    path = bench.save_record(record, tmp_path / "bench_gpu.json")
    text = lesson.gpu_reference(path)
    assert "GPU reference: NVIDIA H200, recorded 2026-11-24" in text and "torch 2.11.0" in text
    assert "not installed there: tensorflow" in text
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "0.200" in lines["PyTorch eager"] and "0.100" in lines["Keras/JAX"]
    assert not any(bench.CONFIGS[c].label in lines for c in TF_CONFIGS), "one line for them, not a row each"
    assert "not available there: Keras/TF, Keras/TF+XLA, TF eager, tf.function, tf.function+XLA" in text
    with pytest.raises(TypeError, match="path"):
        lesson.gpu_reference(3)


def test_gpu_grid_is_a_valid_grid_and_the_command_line_takes_it(capsys):
    from utils.bench.__main__ import main

    configs, workloads, batches, _ = bench.check_grid(**gpu.gpu_grid())
    assert set(configs) == set(bench.DEFAULT_CONFIGS) and workloads == bench.WORKLOADS
    assert all(len(b) <= 2 for b in batches.values()), "a batch or two: the run fits in minutes"
    with pytest.raises(SystemExit) as info:
        main(["--gpu-reference", "a.json", "--json", "b.json"])
    assert info.value.code == 2 and "not both" in capsys.readouterr().err


def test_a_run_without_tensorflow_marks_its_cells_not_available_and_measures_the_others(tmp_path, monkeypatch):
    """TensorFlow hidden from the workers (as on a GPU image with only PyTorch and JAX): no crash, no failure."""
    (tmp_path / "sitecustomize.py").write_text(HIDE_TENSORFLOW)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    record = bench.run([*TF_CONFIGS, "torch-eager", "keras-torch"], ["mlp"], [8], repeats=2, warmup=1,
                       block_seconds=0.01, threads=1, matmul_size=128, all_at_once=True)
    cells = {r["config"]: r for r in record["results"]}
    assert {c: cells[c]["state"] for c in TF_CONFIGS} == dict.fromkeys(TF_CONFIGS, "unavailable")
    assert all(cells[c]["reason"].startswith("tensorflow is not installed here") for c in TF_CONFIGS)
    assert cells["torch-eager"]["state"] in MEASURED and cells["keras-torch"]["state"] in MEASURED, cells
    assert record["workers"]["tensorflow"]["missing"].keys() == {"tensorflow"}
    assert "tensorflow" not in record["versions"] and "keras" in record["versions"]
    assert set(record["peak"]["by_library"]) == {"numpy"}
    assert json.loads(json.dumps(record)) == record, "JSON-able as recorded"


def test_the_efficiency_limit_follows_what_this_machine_reaches_when_quiet():
    """A quiet 16-vCPU GPU machine's probe reached 0.38-0.51 (2026-12-04): judged against its own calibration."""
    from utils.bench import timing

    quiet_16 = {"one_s": 1.1e-3, "all_s": 1.6e-4, "cpus": 16, "efficiency": 0.44}
    assert timing.judge_round(quiet_16, 1.5e-4)["contended"], "against the 2-core limit (0.6) it looks contended"
    entry = timing.judge_round(quiet_16, 1.5e-4, others=0.01, calibration_efficiency=0.5)
    assert not entry["contended"] and entry["efficiency_limit"] == pytest.approx(0.3)
    halved = {**quiet_16, "efficiency": 0.25}
    assert timing.judge_round(halved, 1.5e-4, calibration_efficiency=0.5)["contended"]
    assert timing.judge_round(quiet_16, 1.5e-4, calibration_efficiency=3.0)["efficiency_limit"] == timing.MIN_EFFICIENCY
