"""utils.streaming: measuring pipelines, judging growth and speed, and notebook 05's exercise checks."""

import numpy as np
import pytest

from utils import streaming


def row(name, mb, speed, peak, low=None, high=None):
    return {"pipeline": name, "data_mb": mb, "examples": 10, "examples_per_s": speed, "low": low or speed,
            "high": high or speed, "first_batch_s": 0.01, "peak_mb": peak}


def test_measure_counts_examples_and_memory():
    batches = [(np.zeros((4, 2)), np.zeros(4))] * 5
    r = streaming.measure_pipeline("list", lambda: iter(batches), 1.0, repeats=2)
    assert r["examples"] == 20 and r["examples_per_s"] > 0 and r["first_batch_s"] >= 0
    big = streaming.measure_pipeline("big", lambda: iter([(np.ones((20_000_000,), np.uint8), [0])]), 1.0)
    assert big["peak_mb"] >= 0


def test_peak_memory_counts_new_children_only():
    import subprocess
    import sys
    import time

    hold = "import time; b = bytearray(60_000_000); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
    old = subprocess.Popen([sys.executable, "-c", hold])  # running before: not the pipeline's
    try:
        time.sleep(1.0)
        with streaming.PeakMemory() as quiet:
            time.sleep(0.1)
        with streaming.PeakMemory() as busy:
            new = subprocess.Popen([sys.executable, "-c", hold])
            time.sleep(1.0)
            new.kill()
            new.wait()
    finally:
        old.kill()
        old.wait()
    assert quiet.peak < 30e6 < 55e6 < busy.peak  # the new child's own 60 MB (USS) counts, the old one's does not


@pytest.mark.parametrize("kwargs, error, name", [
    ({"name": ""}, ValueError, "name"), ({"data_mb": 0}, ValueError, "data_mb"),
    ({"repeats": 0}, ValueError, "repeats"), ({"make_batches": [1]}, TypeError, "make_batches")])
def test_measure_rejects_bad_arguments(kwargs, error, name):
    args = {"name": "x", "make_batches": lambda: [], "data_mb": 1.0, **kwargs}
    with pytest.raises(error, match=name):
        streaming.measure_pipeline(**args)


def test_growth_flat_and_growing():
    rows = [row("a", 8, 1, 10), row("a", 136, 1, 10 + streaming.MARGIN_MB), row("b", 8, 1, 10), row("b", 136, 1, 200)]
    assert streaming.growth(rows, "a")["flat"] and not streaming.growth(rows, "b")["flat"]
    with pytest.raises(ValueError, match="two dataset sizes"):
        streaming.growth(rows[:1], "a")


def test_compare_says_cannot_tell_inside_the_noise():
    assert streaming.compare(row("f", 1, 300, 0), row("s", 1, 100, 0)) == "3.0x faster"
    assert streaming.compare(row("f", 1, 100, 0), row("s", 1, 300, 0)) == "3.0x slower"
    assert streaming.compare(row("f", 1, 110, 0), row("s", 1, 100, 0)).startswith("cannot tell")
    overlapping = streaming.compare(row("f", 1, 300, 0, low=90), row("s", 1, 100, 0, high=120))
    assert overlapping.startswith("cannot tell")


def test_table_and_verdict():
    sweep = [row(n, mb, 1e5, p) for n in ("NumPy in memory", "Keras fit on PyDataset") for mb, p in ((8, 9), (136, 12))]
    sweep[1]["peak_mb"] = 275
    reads = [row("TensorFlow tf.data", 34, 8e5, 5, 7e5, 9e5), row("TensorFlow tf.data, per example", 34, 1e5, 2),
             row("PyTorch DataLoader, 0 workers", 34, 3e6, 1), row("PyTorch DataLoader, 2 workers", 34, 3e5, 20)]
    parallel = [{"engine": "torch", "name": "torch DDP", "replicas": 2, "tolerance": 1e-6,
                 "max_difference": {"mean": 1e-8, "sum": 1e-2}, "examples_per_s": {"1": 100.0, "2": 50.0}}]
    assert "examples/s" in streaming.table(reads)
    text, key = streaming.pipeline_verdict(sweep, reads, parallel)
    assert "NumPy in memory: data 8 -> 136 MB, peak memory 9 -> 275 MB: GROWS" in text
    assert "Is Keras limited to small data? No" in text and "8.0x faster" in text and "10.0x slower" in text
    assert "yes (largest difference below 1e-7 (tolerance 1e-6))" in text and "x0.50" in text
    assert key["keras_limited_to_small_data"] is False


def test_exercise_checks(capsys):
    assert not streaming.check_exercise("2: memory", ...)
    right = {"megabytes": 2 * 4 * 4096 * 65 * 4 / 1e6, "grows_with_dataset": False}
    assert streaming.check_exercise("2: memory", right)
    assert not streaming.check_exercise("3: batch", {"global_batch_size": 32, "step_too_large_by": 4.0})
    assert streaming.check_exercise("3: batch", {"global_batch_size": 128, "step_too_large_by": 4})
    assert not streaming.check_exercise("1: fast", streaming.slow_pipeline)
    assert "slow pipeline or called shards.tf_dataset" in capsys.readouterr().out
    assert not streaming.check_exercise("1: fast", lambda *a: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out
    with pytest.raises(ValueError, match="name"):
        streaming.check_exercise("four", 1)


def test_plot_has_titles_labels_and_one_line_per_pipeline():
    rows = [row(name, mb, speed, peak) for name in ("NumPy in memory", "TensorFlow tf.data")
            for mb, speed, peak in ((8.5, 1e5, 5), (136.3, 2e5, 6))]
    fig = streaming.plot_pipelines(rows)
    left, right = fig.axes[:2]
    assert left.get_yscale() == "log" and left.get_ylabel() and right.get_ylabel().endswith("(MB)")
    assert left.get_title() and right.get_title() and left.get_xlabel().endswith("(MB)")
    assert len(left.get_lines()) == len(right.get_lines()) == 2


def test_release_memory_stops_the_worker_server(tmp_path):
    from multiprocessing import forkserver

    from utils import shards

    shards.write_dataset(tmp_path / "data", shards=1, examples_per_shard=64)
    assert sum(len(x) for x, _ in shards.torch_loader(tmp_path / "data", 32, num_workers=1)) == 64
    assert forkserver._forkserver._forkserver_pid is not None
    assert streaming.release_memory() is None
    assert forkserver._forkserver._forkserver_pid is None
