"""Tests of utils.bench that start processes: the steps, the contention probe under a CPU burner, a real run."""

import os
import subprocess
import sys
import time

import psutil
import pytest

from utils import bench
from utils.bench import timing


@pytest.mark.parametrize("workload, sizes", [("mlp", None), ("cnn", None),
                                             ("attention", {"tokens": 5, "features": 12})])
def test_flop_formula_matches_pytorch_flop_counter(workload, sizes):
    from torch.utils.flop_counter import FlopCounterMode

    for batch in (1, 6):
        timed = bench.timed_step("torch-eager", workload, batch, sizes)
        with FlopCounterMode(display=False) as counter:
            timed.block(1)
        assert bench.step_flops(workload, batch, sizes) == counter.get_total_flops()


def test_keras_refuses_another_back_end_in_this_process():
    import keras

    other = "jax" if keras.backend.backend() != "jax" else "torch"
    config = {"jax": "keras-jax", "torch": "keras-torch"}[other]
    with pytest.raises(ValueError, match="back end"):
        bench.timed_step(config, "mlp", 4)


def test_the_contention_measure_flags_a_cpu_burning_process_and_the_burner_is_stopped():
    before = timing.cpu_snapshot([os.getpid()])
    if before is None:
        pytest.skip("no /proc/stat here")
    # started through a shell that exits at once, so the burner is not this process's child: another program
    launcher = subprocess.run(["sh", "-c", f"{sys.executable} -c 'while True: pass' >/dev/null 2>&1 & echo $!"],
                              capture_output=True, text=True, check=True)
    burner = psutil.Process(int(launcher.stdout))
    try:
        time.sleep(0.3)
        before = timing.cpu_snapshot([os.getpid()])
        time.sleep(1.5)
        others = timing.others_share(before, timing.cpu_snapshot([os.getpid()]))
        entry = timing.judge_round(timing.probe(), calibration_s=1.0, others=others)
    finally:
        burner.kill()
        burner.wait(5)
    assert others >= 0.9 / os.cpu_count(), f"a burner takes one core: others' share {others:.2f}"
    assert entry["contended"] and entry["others"] == others
    assert not burner.is_running(), "the burner is stopped"


def test_a_real_run_times_keras_through_fit_and_records_contention():
    record = bench.run(["keras-tf", "keras-tf-spe", "tf-function", "torch-eager"], ["mlp"], [8], repeats=2, warmup=1,
                       block_seconds=0.01, threads=1, matmul_size=128, all_at_once=True)
    cells = {r["config"]: r for r in record["results"]}
    assert cells["keras-tf"]["feed_s"] is None, "on TensorFlow fit draws the batch inside its graph"
    assert all(r["state"] in bench.STATES[1:4] for r in cells.values()), cells
    assert cells["keras-tf"]["per_call_s"] > 0 and cells["tf-function"]["per_call_s"] is None
    assert len({round(r["first_loss"], 4) for r in cells.values()}) == 1, "same weights and data everywhere"
    assert len(record["rounds"]) == 2 and all("efficiency" in r for r in record["rounds"])
    assert record["workers"]["torch"]["threads"]["intra_op"] == 1
    assert "keras" not in record["workers"]["torch"]["versions"], "no Keras cell there: Keras not imported"
    assert "keras" in record["workers"]["tensorflow"]["versions"]
    assert set(record["peak"]["by_library"]) == {"numpy"}, "one peak, measured once, by one library"
    assert "contention:" in bench.results_table(record)
    assert set(record["phases_s"]) == {"start", "warm_up", "peak", "rounds"} and record["phases_s"]["rounds"] > 0
    assert set(record["phases_cpu_s"]) == {"start_and_warm_up", "peak_and_rounds"}


def test_keras_on_jax_and_torch_steps_on_ready_tensors_and_its_feed_is_measured_beside_it():
    """The same job: the batch is a back-end tensor made once; what fit still does to draw it is timed apart."""
    record = bench.run({"mlp": ["keras-jax", "keras-jax-spe", "keras-torch", "torch-eager"], "cnn": ["keras-jax"]},
                       ["mlp", "cnn"], [8], repeats=2, warmup=1, block_seconds=0.01, threads=1, matmul_size=256,
                       all_at_once=True)
    cells = {(r["config"], r["workload"]): r for r in record["results"]}
    assert set(cells) == {("keras-jax", "mlp"), ("keras-jax-spe", "mlp"), ("keras-torch", "mlp"),
                          ("torch-eager", "mlp"), ("keras-jax", "cnn")}, "configurations per workload"
    assert all(r["state"] in bench.STATES[1:4] for r in cells.values()), cells
    assert all(cells[c, "mlp"]["feed_s"] > 0 for c in ("keras-jax", "keras-jax-spe", "keras-torch"))
    assert cells["torch-eager", "mlp"]["feed_s"] is None
    mlp = [r for r in record["results"] if r["workload"] == "mlp"]
    assert len({round(r["first_loss"], 4) for r in mlp}) == 1, "steps_per_execution runs the same steps"
    assert set(record["peak"]["by_library"]) == {"jax"}, "measured once, by JAX's XLA when the run has JAX"
    assert bench.peak_line(record).startswith("matmul peak ") and "(jax, 256x256 float32" in bench.peak_line(record)


def test_a_worker_that_cannot_start_fails_every_cell_with_the_reason(tmp_path, monkeypatch):
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named numpy' >&2\nexit 3\n")
    fake_python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake_python))
    record = bench.run(["tf-eager"], ["mlp"], 8, repeats=1)
    assert [r["state"] for r in record["results"]] == ["failed"]
    assert "exited (status 3)" in record["results"][0]["reason"]
    assert "No module named numpy" in record["results"][0]["reason"]


def test_the_benchmarks_own_processes_are_not_counted_as_other_programs():
    """The workers are children of the process that starts them: counted once, as ours, not as another program."""
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        before = timing.cpu_snapshot([os.getpid(), child.pid])
        if before is None:
            pytest.skip("no /proc/stat here")
        time.sleep(1.5)
        after = timing.cpu_snapshot([os.getpid(), child.pid])
    finally:
        child.kill()
        child.wait(5)
    wall, own = after["wall"] - before["wall"], after["own_s"] - before["own_s"]
    assert 0.2 * wall <= own <= 1.2 * wall, f"the busy child must count once: {own:.2f} CPU s in {wall:.2f} s"
