import copy
import json
import math
import os
import stat
import sys

import numpy as np
import pytest

from utils import bench


def fake_record(medians=None, failed=()):
    """A small valid record built the way `run` builds one, without starting any process."""
    medians = medians or {"keras-tf": 2.0e-3, "tf-function": 1.0e-3}
    cells = []
    for config, median in medians.items():
        cell = bench._cell(config, "mlp", 32, bench.models.resolve_sizes("mlp"))
        if config in failed:
            cell.update(status="failed", reason="RuntimeError: planted")
        else:
            samples = [median * f for f in (0.9, 0.95, 1.0, 1.05, 1.1)]
            cell.update(steps=10, first_step_s=0.5, first_loss=2.3, device="cpu", samples_s=samples,
                        block_steps=[10] * 5, round_load=[1.0] * 5)
        cells.append(cell)
    cells.append({"key": "matmul|numpy", "config": "matmul", "process": "numpy", "status": "ok", "reason": None,
                  "steps": 1, "first_step_s": 0.2, "device": "cpu", "samples_s": [0.1, 0.12, 0.11],
                  "block_steps": [1, 1, 1]})
    record = {"schema": bench.SCHEMA, "created": "2026-11-21T00:00:00+00:00",
              "settings": {"threads_requested": None, "repeats": 5, "matmul_size": 1000},
              "machine": bench.machine(), "versions": {"python": "3.11"}, "workers": {},
              "load": {"before": [1.0, 1.0, 1.0], "after": [1.5, 1.0, 1.0], "rounds": []}, "wall_s": 1.0}
    bench._finish(record, cells)
    return bench.validate(record)


def test_statistics_of_known_samples():
    stats = bench.summarize([5.0, 1.0, 4.0, 2.0, 3.0])
    assert stats == {"n": 5, "median": 3.0, "q1": 2.0, "q3": 4.0, "min": 1.0, "max": 5.0, "spread": 2.0 / 3.0}
    assert bench.summarize([2.0])["spread"] == 0.0
    assert bench.summarize([1.0, 2.0])["median"] == 1.5


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [1.0, -2.0], [0.0], [[1.0, 2.0]], [1.0, float("inf")]])
def test_statistics_reject_bad_samples(bad):
    with pytest.raises(ValueError, match="samples must"):
        bench.summarize(bad)


@pytest.mark.parametrize("workload, sizes", [("mlp", None), ("cnn", None), ("attention", None),
                                             ("mlp", {"hidden": 33}), ("cnn", {"height": 7, "channels": 3}),
                                             ("attention", {"tokens": 5, "features": 12})])
def test_flop_formula_matches_pytorch_flop_counter(workload, sizes):
    from torch.utils.flop_counter import FlopCounterMode

    for batch in (1, 6):
        step = bench.make_step("torch-eager", workload, batch, sizes)
        with FlopCounterMode(display=False) as counter:
            step.run()
        assert bench.step_flops(workload, batch, sizes) == counter.get_total_flops()


def test_flops_by_hand_and_linear_in_batch():
    # mlp 64-64-10: dense1 on the data 2x its 2*64*64 forward FLOPs, dense2 3x its 2*64*10, per example
    assert bench.step_flops("mlp", 1) == 2 * 2 * 64 * 64 + 3 * 2 * 64 * 10
    for workload in bench.WORKLOADS:
        assert bench.step_flops(workload, 12) == 12 * bench.step_flops(workload, 1)


def test_scaled_sizes_multiply_the_widths_only():
    assert bench.scaled_sizes(1) == {w: {k: bench.models.DEFAULT_SIZES[w][k] for k in bench.SCALED[w]}
                                     for w in bench.WORKLOADS}
    big = bench.scaled_sizes(4, ["mlp", "cnn"])
    assert big == {"mlp": {"inputs": 256, "hidden": 256}, "cnn": {"filters1": 32, "filters2": 64}}
    assert bench.step_flops("mlp", 8, big["mlp"]) == 2 * 2 * 8 * 256 * 256 + 3 * 2 * 8 * 256 * 10
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="factor must be a positive int"):
            bench.scaled_sizes(bad)


def test_bad_grid_input_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown configuration 'keras-theano'.*keras-tf"):
        bench.check_grid(["keras-theano"], ["mlp"], 32)
    with pytest.raises(ValueError, match=r"unknown workload 'rnn'.*attention"):
        bench.check_grid(["tf-eager"], ["rnn"], 32)
    for batch in (0, -4, 2.5, True, [], [16, 0]):
        with pytest.raises(ValueError, match="batch size must be a positive int|batch sizes must be"):
            bench.check_grid(["tf-eager"], ["mlp"], batch)
    with pytest.raises(ValueError, match="no batch sizes for"):
        bench.check_grid(["tf-eager"], ["mlp", "cnn"], {"mlp": 8})
    with pytest.raises(ValueError, match="repeats must be an int >= 1"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, repeats=0)
    with pytest.raises(ValueError, match="block_seconds"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, block_seconds=0)
    with pytest.raises(ValueError, match="threads"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, threads=0)
    with pytest.raises(ValueError, match="unknown sizes"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, sizes={"mlp": {"width": 3}})
    with pytest.raises(ValueError, match=r"sizes names workloads \['cnn'\] that are not in this run"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, sizes={"cnn": {"filters1": 4}})
    with pytest.raises(ValueError, match="configurations must be a non-empty list"):
        bench.check_grid([], ["mlp"], 8)
    with pytest.raises(ValueError, match="batch size must be a positive int"):
        bench.step_flops("mlp", 0)
    with pytest.raises(TypeError, match="progress"):
        bench.run(["tf-eager"], ["mlp"], 8, progress="loud")
    with pytest.raises(ValueError, match="all_at_once must be True, False or None"):
        bench.run(["tf-eager"], ["mlp"], 8, all_at_once="yes")


def test_command_line_rejects_bad_input_before_starting_anything(capsys):
    for argv in (["--configs", "keras-cntk"], ["--workloads", "mlp,lstm"], ["--batches", "0"],
                 ["--batches", "a"], ["--size", "mlp.hidden"], ["--size", "mlp.depth=3"], ["--scale", "0"],
                 ["--size", "cnn.filters1=4", "--workloads", "mlp"]):
        with pytest.raises(SystemExit) as info:
            bench.main(argv)
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown configuration 'keras-cntk'" in err and "unknown workload 'lstm'" in err
    assert "batch size must be a positive int" in err and "WORKLOAD.NAME=INT" in err and "unknown sizes" in err
    assert "factor must be a positive int" in err and "--batches must be comma-separated positive ints" in err
    assert "sizes names workloads ['cnn'] that are not in this run" in err


def test_a_step_runs_in_process_and_keras_checks_its_back_end():
    step = bench.make_step("torch-eager", "cnn", 4)
    seconds, loss, done = bench.time_block(step, 3)
    assert seconds > 0 and math.isfinite(loss) and done == 3
    assert bench.steps_for(0.001, 0.05) == 50 and bench.steps_for(10.0, 0.05) == 1
    with pytest.raises(ValueError, match="one process per back end"):
        bench.make_step("keras-jax", "mlp", 4)  # this test process's Keras runs on TensorFlow


def slow_step(monkeypatch, seconds=0.125):
    """A step that takes exactly `seconds` on a fake clock (binary fractions: no rounding), and its syncs."""
    clock, synced = [0.0], []
    monkeypatch.setattr(bench.time, "perf_counter", lambda: clock[0])

    def run():
        clock[0] += seconds
        return 1.5

    return bench.Step(run=run, sync=lambda loss: synced.append(loss) or loss, device="cpu"), synced


def test_a_block_stops_early_when_steps_are_slower_than_estimated(monkeypatch):
    slow, synced = slow_step(monkeypatch, 0.125)
    assert bench.time_block(slow, 1000, max_seconds=0.5) == (0.625, 1.5, 5), "stops after the step past 0.5 s"
    assert synced == [1.5], "synchronised once, at the end of the block"
    assert bench.time_block(slow, 3) == (0.375, 1.5, 3), "no limit: every step runs"
    warm = bench.warm_up(slow, 2, block_seconds=1.25)
    assert warm["first_step_s"] == 0.125 and warm["warmup_s"] == [0.125, 0.125] and warm["steps"] == 10
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="steps must be a positive int"):
            bench.time_block(slow, bad)


class FakeWorker:
    """Stands in for a worker process in `_wait`'s tests: records kills, says why it died."""

    def __init__(self, failed=None):
        self.failed, self.killed = failed, False
        self.popen = self

    def kill(self):
        self.killed = True

    def why_dead(self):
        return "exited (status -9)"


def test_wait_skips_stale_replies_and_fails_only_the_worker_that_died():
    """All at once, workers share a queue: the last words of a stopped worker must not fail a healthy one."""
    workers = {"numpy": FakeWorker(failed="no answer within 600 s: stopped"), "tensorflow": FakeWorker(),
               "torch": FakeWorker()}
    cells = [bench._cell("tf-function", "mlp", 8, bench.models.resolve_sizes("mlp")),
             bench._cell("torch-eager", "mlp", 8, bench.models.resolve_sizes("mlp"))]
    for cell in cells:
        cell["steps"] = 3
    tf_cell, torch_cell = cells
    replies = bench.queue.Queue()
    answer = {"key": tf_cell["key"], "ok": True, "seconds": 0.01, "loss": 2.3, "steps": 3}
    for item in [("numpy", {"key": "matmul|numpy", "ok": True}), ("numpy", None),  # a stopped worker's last words
                 ("tensorflow", {"key": "tf-eager|mlp|8", "ok": True}),  # a reply to another cell
                 ("torch", None),  # another worker died: it fails, not this cell's worker
                 ("tensorflow", answer)]:
        replies.put(item)
    assert bench._wait(tf_cell, workers, cells, replies, timeout=0) == answer
    assert tf_cell["status"] == "ok" and not workers["tensorflow"].failed and not workers["tensorflow"].killed
    assert torch_cell["status"] == "failed" and torch_cell["reason"].startswith("exited (status -9)")
    assert workers["torch"].failed and replies.empty()

    # this cell's own worker ends its output: None, the worker and the cell fail with why_dead's reason
    workers["torch"].failed, torch_cell["status"] = None, "ok"
    replies.put(("torch", None))
    assert bench._wait(torch_cell, workers, cells, replies, timeout=0) is None
    assert torch_cell["status"] == "failed" and "exited" in torch_cell["reason"]

    # nothing at all within the timeout (0 s here, no real waiting): the worker is killed, its cells fail
    assert bench._wait(tf_cell, workers, cells, replies, timeout=0) is None
    assert workers["tensorflow"].killed and tf_cell["reason"].startswith("no answer within 0 s")


def test_a_worker_that_cannot_be_started_stops_those_already_running(monkeypatch):
    stopped = []

    class Starting:
        def __init__(self, process, threads, replies):
            if process == "tensorflow":
                raise OSError("cannot start the tensorflow worker")
            self.process, self.popen = process, type("P", (), {"stdin": open(os.devnull, "w")})()

        def stop(self, deadline):
            stopped.append(self.process)

    monkeypatch.setattr(bench, "_WorkerProcess", Starting)
    with pytest.raises(OSError, match="cannot start the tensorflow worker"):
        bench.run(["tf-function"], ["mlp"], 8, repeats=1, all_at_once=True, progress=lambda text: None)
    assert stopped == ["numpy"], "the numpy worker, started first, was stopped"


def test_the_record_is_validated():
    record = fake_record()
    assert [r["status"] for r in record["results"]] == ["ok", "ok"]
    r = record["results"][0]
    assert r["median_s"] == 2.0e-3 and r["n"] == 5 and math.isclose(r["q1_s"], 1.9e-3)
    assert math.isclose(r["gflops"], r["flops_per_step"] / 2.0e-3 / 1e9)
    assert math.isclose(record["peak"]["gflops"], 2 * 1000**3 / 0.11 / 1e9)
    assert math.isclose(r["share_of_peak"], r["gflops"] / record["peak"]["gflops"])
    json.dumps(record, allow_nan=False)  # plain JSON: no NaN, no NumPy types

    def broken(change):
        bad = copy.deepcopy(record)
        change(bad)
        return bad

    problems = {
        "schema": lambda b: b.update(schema="other/9"),
        "missing": lambda b: b.pop("machine"),
        "statistics do not match": lambda b: b["results"][0].update(median_s=1.0),
        "positive and finite": lambda b: b["results"][0].update(first_step_s=float("nan")),
        "must give its reason": lambda b: b["results"][1].update(status="failed", reason=""),
        "n must count": lambda b: b["results"][0]["samples_s"].append(1e-3),
        "n must count the": lambda b: b["results"][0]["block_steps"].pop(),
        "status must be": lambda b: b["results"][0].update(status="maybe"),
        "gflops must be": lambda b: b["results"][0].update(gflops=1.0),
    }
    for message, change in problems.items():
        with pytest.raises(ValueError, match=message):
            bench.validate(broken(change))
    with pytest.raises(ValueError, match="expected a dict"):
        bench.validate([])


def test_save_load_table_and_comparison(tmp_path):
    record = fake_record({"keras-tf": 2e-3, "tf-function": 1e-3, "tf-xla": 1.02e-3, "torch-eager": 1e-3},
                         failed=("torch-eager",))
    path = bench.save(record, tmp_path / "sub" / "r.json")
    assert bench.load(path) == json.loads(json.dumps(record))
    text = bench.table(record)
    assert "Keras/TF" in text and "tf.function" in text and "FAILED: RuntimeError: planted" in text
    assert bench.compare(record, "keras-tf", "tf-function", "mlp", 32) == {
        "ratio": 2.0, "word": "slower", "a": "keras-tf", "b": "tf-function"}
    assert bench.compare(record, "tf-function", "keras-tf", "mlp", 32)["word"] == "faster"
    assert bench.compare(record, "tf-xla", "tf-function", "mlp", 32)["word"] == "about as fast"  # IQRs overlap
    assert bench.compare(record, "keras-tf", "torch-eager", "mlp", 32)["ratio"] is None
    with pytest.raises(ValueError, match="no result for keras-jax"):
        bench.result(record, "keras-jax", "mlp", 32)
    assert bench.compare(record, "keras-tf", "tf-function", "mlp", 32, margin=1.5)["word"] == "about as fast"
    for bad in (-0.1, float("nan"), float("inf"), "10%", None, True):
        with pytest.raises(ValueError, match="margin must be a non-negative number"):
            bench.compare(record, "keras-tf", "tf-function", "mlp", 32, margin=bad)


def test_a_worker_that_cannot_start_fails_its_cells_with_the_reason(tmp_path, monkeypatch):
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named tensorflow' >&2\nexit 3\n")
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "executable", str(fake_python))
    monkeypatch.setattr(bench, "available_memory", lambda: 1.8e9)  # what a 2 GB Binder container has left
    record = bench.run(["tf-eager", "tf-function"], ["mlp"], 8, repeats=1, progress=lambda text: None)
    assert [r["status"] for r in record["results"]] == ["failed", "failed"]
    assert record["settings"]["all_at_once"] is False, "too little memory for every back end at once"
    assert record["workers"]["numpy"]["status"] == "failed"
    assert "exited (status 3)" in record["results"][0]["reason"]
    assert "No module named tensorflow" in record["results"][0]["reason"]
    assert record["peak"]["gflops"] is None and record["workers"]["tensorflow"]["status"] == "failed"


def test_a_real_run_measures_and_records_failures(monkeypatch, capsys):
    """Two real configurations in their own processes, plus one the worker does not know: it fails alone."""
    monkeypatch.setitem(bench.CONFIGS, "torch-broken", bench.Config("torch-broken", "broken", "torch", "torch", "-"))
    record = bench.run(["tf-function", "torch-eager", "torch-broken"], ["mlp"], [4, 8], repeats=2, warmup=1,
                       block_seconds=0.005, threads=1, matmul_size=128, all_at_once=True)
    lines = capsys.readouterr().out
    assert "tensorflow process ready" in lines and "round 2/2 of numpy, tensorflow, torch done" in lines
    status = {(r["config"], r["batch"]): r["status"] for r in record["results"]}
    assert status == {(c, b): "failed" if c == "torch-broken" else "ok"
                      for c in ("tf-function", "torch-eager", "torch-broken") for b in (4, 8)}
    assert "unknown configuration 'torch-broken'" in bench.result(record, "torch-broken", "mlp", 4)["reason"]
    ok = [r for r in record["results"] if r["status"] == "ok"]
    assert all(r["n"] == 2 and np.isfinite(r["gflops"]) and r["share_of_peak"] > 0 for r in ok)
    assert all(1 <= steps <= r["steps"] for r in ok for steps in r["block_steps"])
    first_losses = {r["batch"]: set() for r in ok}
    for r in ok:
        first_losses[r["batch"]].add(round(r["first_loss"], 5))
    assert all(len(losses) == 1 for losses in first_losses.values()), "same weights and data in both frameworks"
    assert record["workers"]["torch"]["threads"]["intra_op"] == 1
    assert set(record["peak"]["by_library"]) == {"numpy", "tensorflow", "torch"}
    assert [r["processes"] for r in record["load"]["rounds"]] == [["numpy", "tensorflow", "torch"]] * 2
    assert os.cpu_count() == record["machine"]["cpu_count"]


def test_workers_of_an_all_cores_run_inherit_no_thread_cap_left_by_setup(monkeypatch):
    """An earlier setup(threads=1) wrote OMP_NUM_THREADS and XLA_FLAGS here: a threads=None worker drops them."""
    import io

    from utils import setup as setup_module

    pinned = setup_module.thread_environment(1)
    for key, value in pinned.items():
        monkeypatch.setenv(key, value)
        monkeypatch.setitem(setup_module._WRITTEN, key, value)
    seen = {}

    def fake_popen(args, env, **kwargs):
        seen[args[-1]] = env
        return type("P", (), {"stdout": io.StringIO(""), "stdin": io.StringIO()})()

    monkeypatch.setattr(bench.subprocess, "Popen", fake_popen)
    for threads in (None, 2):
        bench._WorkerProcess("jax", threads, bench.queue.Queue()).log.close()
        env = seen["jax"]
        assert env["KERAS_BACKEND"] == "jax" and env["BENCH_THREADS"] == str(threads or "")
        if threads is None:
            assert "OMP_NUM_THREADS" not in env and "XLA_FLAGS" not in env, "all cores: no cap inherited"
        else:
            assert env["OMP_NUM_THREADS"] == "2"
