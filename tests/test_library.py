"""The library as a whole: every public helper checks its numeric and named arguments the same way.

For each public function of `utils` with an int, float or str default, the test passes a wrong type
(expects TypeError) and a wrong value (expects ValueError) for that argument alone, with valid values
for the others, and wants the argument's name in the message. The checks come before any work, so
these calls are fast. Also: no two modules define the same public name for different things.
"""

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import utils
from utils import data, models

# Arguments that are free text: any string is a valid value (only the wrong type is tested).
FREE_TEXT = {"hint", "where", "root", "name", "title", "xlabel", "ylabel", "description", "path", "unit"}
# Public helpers whose wrong inputs are tested elsewhere, with reasons.
SKIPPED = {
    "timings.main": "a command line (argparse), tested in test_timings",
    "execution.main": "a command line (argparse), tested in test_execution",
    "execution.run_cells": "takes a started nbclient client, tested in test_execution and test_timings",
    "bench.__main__.main": "a command line (argparse), tested in test_bench",
    "bench.workers.serve": "the worker's request loop (reads stdin), tested in test_bench_run",
}


def _digits():
    ds = data.load("digits")
    return ds.x_train[:64], ds.y_train[:64]


def _required(tmp_path):
    """Valid values of the required arguments of each helper (by 'module.function')."""
    x, y = _digits()
    w = models.init_weights("mlp")
    return {
        "backends.custom_step_curve": {"step_sources": {}},
        "backends.run_in_backend": {"backend": "jax", "func": _a_function},
        "bench.configs.check_grid": {"configs": ["torch-eager"], "workloads": ["mlp"], "batches": [64]},
        "bench.configs.synthetic_batch": {"workload": "mlp", "batch": 8},
        "bench.lesson.step_source": {"func": _a_function},
        "bench.steps.timed_step": {"config": "torch-eager", "workload": "mlp", "batch": 8},
        "bench.steps.matmul": {"library": "numpy", "n": 8},
        "bench.timing.steps_for": {"step_seconds": 0.001, "block_seconds": 0.03},
        "bench.timing.flags": {"samples": [1.0, 1.1], "contended_rounds": [False, False]},
        "bench.timing.wait_until_idle": {"pids": [1]},
        "bench.timing.judge_round": {"probe_result": {"all_s": 1e-3, "cpus": 2, "efficiency": 0.9},
                                     "calibration_s": 1e-3},
        "bench.verdict.verdict": {"record": _a_record(), "a": "torch-eager", "b": "tf-function", "workload": "mlp",
                                  "batch": 32},
        "bugs.train": {"framework": "torch"},
        "data.load": {"name": "digits"},
        "data.as_images": {"x": x},
        "data.batch_order": {"n": 10, "batch_size": 2},
        "data.keras_batches": {"x": x, "y": y, "batch_size": 8},
        "data.tf_batches": {"x": x, "y": y, "batch_size": 8},
        "data.torch_batches": {"x": x, "y": y, "batch_size": 8},
        "debug_report.loss_figure": {"runs": {}},
        "debugging.loss_curve_check": {"losses": [2.3, 2.2, 2.1, 2.0, 1.9, 1.8], "classes": 10},
        "debugging.gradient_check": {"norms": [1.0] * 10},
        "debugging.repeatability_check": {"first": [1.0], "second": [1.0]},
        "debugging.logits_check": {"outputs": [[1.0, -1.0]]},
        "debugging.pdb_session": {"seen": None, "commands": ["q"]},  # max_lines is checked first
        "debug_tools.overfit_one_batch": {"framework": "torch"},
        "debug_tools.train_without_dropout": {"framework": "torch"},
        "defaults.adam_epsilon": {"arch": "mlp", "weights": w, "x": x, "y": y},
        "defaults.batchnorm": {"x": x},
        "defaults.fit_shuffle": {"arch": "mlp", "weights": w, "x": x, "y": y},
        "distributed.equivalent": {"result": {"max_difference": {"mean": 0.0}, "tolerance": 1e-6}},
        "distributed.job": {"batch_size": 8},
        "distributed.data_parallel": {"engine": "torch"},
        "equivalence.compare_forward": {"arch": "mlp", "weights": w, "x": x},
        "equivalence.compare_sgd_step": {"arch": "mlp", "weights": w, "x": x, "y": y},
        "equivalence.training_batches": {"n": 10, "batch_size": 2, "steps": 3},
        "equivalence.train_curves": {"arch": "mlp", "weights": w, "x": x, "y": y},
        "equivalence.check_models": {"name": "1", "answer": ..., "weights": w, "x": x},
        "equivalence.run_steps": {"framework": "torch", "model": None, "x": x, "y": y, "batches": []},
        "exercises.explain": {"answer": 1.0, "expected": 1.0},
        "exercises.check": {"name": "1", "answer": 1.0, "expected": 1.0},
        "exercises.check_function": {"name": "1", "func": abs, "cases": [((1.0,), 1.0)]},
        "exercises.report": {"name": "1", "reason": None},
        "models.init_weights": {"arch": "mlp"},
        "models.input_shape": {"arch": "cnn"},
        "plots.crossover": {"record": {}},
        "plots.figure": {"title": "t", "xlabel": "x (s)", "ylabel": "y (s)"},
        "popularity.snapshot": {"figures": [], "metric": "github_stars"},
        "popularity.ranking": {"values": {"keras": 1.0, "torch": 2.0}},
        "results.validate_results": {"payload": {}},
        "shards.write_dataset": {"folder": tmp_path / "shards", "shards": 2},
        "shards.temporary_dataset": {"shards": 2},
        "shards.tf_dataset": {"folder": tmp_path / "missing", "batch_size": 8},
        "shards.torch_loader": {"folder": tmp_path / "missing", "batch_size": 8},
        "shards.keras_dataset": {"folder": tmp_path / "missing", "batch_size": 8},
        "streaming.measure_pipeline": {"name": "x", "make_batches": lambda: [], "data_mb": 1.0},
        "streaming.measure_fit": {"name": "x", "model": None, "make_data": lambda: [], "data_mb": 1.0,
                                  "batch_size": 8},
        "streaming.check_fast_pipeline": {"name": "1", "make_pipeline": ...},
        "streaming.measures": {"pipelines": {}},
        "workers.measure_workers": {"folder": tmp_path / "missing", "data_mb": 1.0, "batch_size": 8},
        "tables.text_table": {"rows": [{"a": 1}]},
        "traced_ops.op_table": {"graphs": {"torch": ["aten.matmul.default"]}},
        "timings.time_notebook": {"path": tmp_path / "none.ipynb"},
        "execution.run_notebook": {"path": tmp_path / "none.ipynb"},
        "training.keras_step": {"model": None},
        "training.tensorflow_step": {"model": None},
        "training.torch_step": {"model": None},
        "training.make_step": {"framework": "torch", "model": None},
        "training.keras_epsilon_in_torch": {"epsilon": 1e-7, "step": 1},
        "verdicts.judge": {"values": {"a": 1, "b": 2}, "a": "a", "b": "b"},
        "verdicts.tiers": {"values": {"a": 1, "b": 2}},
        "verdicts.compare_repeats": {"a": "a", "samples_a": [1.0, 1.1, 0.9], "b": "b", "samples_b": [2.0, 2.1, 1.9]},
        "verdicts.ranking_line": {"values": {"a": 1, "b": 2}},
        "checkpoints.check_prediction": {"name": "checkpoint: x", "answer": "the same", "outcome": lambda: "zero",
                                         "choices": ("the same", "zero")},
        "streaming.sweep": {"measures": {}, "datasets": [("folder", 1.0)]},
        "streaming.time_rounds": {"functions": {"a": lambda: None}},
        "verdicts.compare_growth": {"a": "a", "peaks_a": [2.0, 2.1, 1.9], "b": "b", "peaks_b": [1.0, 1.1, 0.9],
                                    "data_growth": 10},
        "verdicts.compare_counts": {"a": "a", "value_a": 1, "b": "b", "value_b": 2},
        "verdicts.compare_items": {"a": "a", "scores_a": [1, 2, 3], "b": "b", "scores_b": [2, 2, 2], "scale": 4},
        "scenarios.counts_scenario": {"counts": {"a": 1, "b": 2}, "what": "lines"},
        "scenarios.items_scenario": {"scores": {"a": [1, 2, 3], "b": [2, 2, 2]}, "what": "score", "scale": 4},
        "scenarios.repeats_scenario": {"samples": {"a": [1.0, 1.1, 0.9], "b": [2.0, 2.1, 1.9]}, "what": "ms"},
        "deployment.latency": {"predict": lambda loaded, x: x, "loaded": None, "x": np.zeros((2, 64), np.float32)},
        "deployment.measure_path": {"name": "x", "framework": "PyTorch", "export": None, "model": None,
                                    "runtime": "pt2", "x": x[:2], "reference": x[:2], "folder": tmp_path},
        "deployment.export_keras_elsewhere": {"backend": "torch", "arch": "mlp", "weights": w, "folder": tmp_path,
                                              "formats": ["onnx"]},
        "deployment.train_one_epoch": {"framework": "torch", "arch": "mlp", "weights": w, "dataset": None},
        "deployment_report.race": {"rows": []},
        "deployment_report.check_choice_of_path": {"name": "1", "answer": ..., "rows": [], "runtime": "litert",
                                                   "max_kb": 15},
        "deployment_report.check_serving": {"name": "1", "func": ..., "torch_model": None, "example": x[:2]},
        "verdicts.check_judgement": {"name": "1", "answer": "larger", "values": {"a": 1, "b": 2}, "a": "a", "b": "b"},
    }


def _a_record():
    from test_bench import fake_record  # a synthetic benchmark record (tests/test_bench.py)

    return fake_record({"torch-eager": (1e-3, 0.01), "tf-function": (2e-3, 0.01)})


def _a_function(values):
    return values


def _public_functions():
    """('module.function', function) for every public function, the bench package's modules included."""
    for info in pkgutil.walk_packages(utils.__path__, "utils."):
        where = info.name.removeprefix("utils.")
        if where.split(".")[-1].startswith("_") and where != "bench.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(func) and func.__module__ == module.__name__:
                yield f"{where}.{name}", func


CASES = [(where, func, p.name, p.default) for where, func in _public_functions() if where not in SKIPPED
         for p in inspect.signature(func).parameters.values()
         if p.default is not inspect.Parameter.empty and isinstance(p.default, int | float | str)
         and not isinstance(p.default, bool)]


def _call(func, kwargs):
    result = func(**kwargs)
    if hasattr(result, "__enter__"):  # a context manager checks its arguments when entered
        with result:
            pass
    return result


@pytest.mark.parametrize(("where", "func", "argument", "default"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_a_wrong_type_is_a_type_error_and_a_wrong_value_a_value_error(where, func, argument, default, tmp_path):
    required = _required(tmp_path)
    assert where in required or not [p for p in inspect.signature(func).parameters.values()
                                     if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD], \
        f"add {where} to _required"
    kwargs = dict(required.get(where, {}))
    wrong_type = 3 if isinstance(default, str) else "3"
    with pytest.raises(TypeError, match=argument):
        _call(func, {**kwargs, argument: wrong_type})
    if argument in FREE_TEXT:
        return
    wrong_value = "no-such-value" if isinstance(default, str) else -10**6
    with pytest.raises(ValueError, match=argument):
        _call(func, {**kwargs, argument: wrong_value})


def test_no_public_name_means_two_things():
    """A public name defined in two modules is a clash (a reader cannot tell which one a notebook means)."""
    owners = {}
    for where, _ in _public_functions():
        module, name = where.rsplit(".", 1)
        owners.setdefault(name, []).append(module)
    allowed = {"main", "check_exercise"}  # each command line has its main(), each notebook's helper its checks
    clashes = {name: mods for name, mods in owners.items() if len(mods) > 1 and name not in allowed}
    assert not clashes, clashes


def test_every_module_says_which_notebooks_use_it():
    for info in pkgutil.iter_modules(utils.__path__):
        module = importlib.import_module(f"utils.{info.name}")
        assert module.__doc__ and "used by" in module.__doc__.lower(), info.name
        assert info.name in utils.__doc__, f"utils/__init__.py's map does not mention {info.name}"


def test_no_module_is_longer_than_about_400_lines():
    for path in sorted(__import__("pathlib").Path(utils.__file__).parent.rglob("*.py")):
        assert len(path.read_text().splitlines()) <= 420, path.name


def test_same_job_same_signature_across_frameworks():
    from utils import training

    assert len({str(inspect.signature(f)) for f in training.STEPS.values()}) == 1
    assert len({str(inspect.signature(f)) for f in (models.keras_model, models.tf_model, models.torch_model)}) == 1
    assert np.isfinite(1.0)
