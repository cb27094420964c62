"""utils.streaming: measuring pipelines, judging growth and speed, and notebook 05's exercise checks."""

import numpy as np
import pytest

from utils import streaming, streaming_report


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


def repeated(name, mb, speeds, peaks):
    return {**row(name, mb, float(np.median(speeds)), max(peaks), min(speeds), max(speeds)),
            "samples": list(speeds), "peaks_mb": list(peaks), "rounds": list(range(len(speeds)))}


def test_growth_asks_the_judge_flat_grows_or_cannot_tell():
    rows = [repeated("a", 8, [1, 1, 1], [28.0, 28.5, 28.2]), repeated("a", 136, [1, 1, 1], [28.8, 29.0, 28.6]),
            repeated("b", 8, [1, 1, 1], [9, 9.2, 9.1]), repeated("b", 136, [1, 1, 1], [140, 141, 139]),
            repeated("c", 8, [1, 1], [9, 9]), repeated("c", 136, [1, 1], [9, 9]),
            repeated("d", 8, [1, 1, 1], [0.0, 1, 1]), repeated("d", 136, [1, 1, 1], [1, 1, 1]),
            repeated("e", 8, [1, 1, 1], [4.2, 4.0, 4.4]), repeated("e", 136, [1, 1, 1], [9.0, 8.1, 9.6])]
    a, b, c, d, e = (streaming_report.growth(rows, n) for n in "abcde")
    assert a["state"] == "flat" and a["flat"] and "about the same" in a["why"]
    assert b["state"] == "grows" and not b["flat"] and "leads" in b["why"]
    assert c["state"] == "cannot tell" and "at least 3" in c["why"]  # two rounds: the judge cannot tell
    assert d["state"] == "cannot tell" and "no pair of positive peaks" in d["why"]
    assert e["state"] == "flat", "5 MB more for 128 MB more data does not follow the data: " + e["why"]
    with pytest.raises(ValueError, match="two dataset sizes"):
        streaming_report.growth(rows[:1], "a")


def test_compare_is_the_judge_on_the_repeats():
    fast, slow = repeated("f", 1, [300, 310, 290], [1] * 3), repeated("s", 1, [100, 104, 98], [1] * 3)
    assert streaming_report.compare(fast, slow).leader == "f" and streaming_report.compare(slow, fast).leader == "f"
    noisy = repeated("n", 1, [100, 320, 150], [1] * 3)
    assert streaming_report.compare(noisy, slow).word == "cannot tell"
    assert streaming_report.compare(row("x", 1, 300, 0), slow) is None  # no repeats: not judged


def test_time_rounds_shuffles_and_pairs_rounds():
    calls = []
    timed = streaming.time_rounds({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=4)
    assert sorted(calls) == ["a"] * 4 + ["b"] * 4 and timed["rounds"] == {"a": [0, 1, 2, 3], "b": [0, 1, 2, 3]}
    assert all(len(s) == 4 and min(s) >= 0 for s in timed["seconds"].values())
    assert "median (ms)" in streaming.rounds_table(timed)
    with pytest.raises(TypeError, match="functions"):
        streaming.time_rounds({"a": 1})


def test_sweep_interleaves_rounds_and_keeps_the_repeats():
    order = []

    def measure(name, folder, mb):
        order.append((name, mb))
        return row(name, mb, 100.0 + len(order), 5.0)

    rows = streaming.sweep({"p": measure, "q": measure}, [("f1", 8), ("f2", 136)], repeats=3)
    assert order[:2] == [("p", 8), ("q", 8)] and len(order) == 2 + 3 * 4  # warm-ups, then rounds
    assert order[2:6] == [("p", 8), ("p", 136), ("q", 8), ("q", 136)]
    assert len(rows) == 4 and all(len(r["samples"]) == 3 and r["rounds"] == [0, 1, 2] for r in rows)


def _scenario_inputs(keras=True, speeds=None):
    from utils.streaming import read_name, train_name
    from utils.workers import row_name

    frameworks = ["Keras", "TensorFlow", "PyTorch"] if keras else ["TensorFlow", "PyTorch"]
    own = {"Keras": "Keras PyDataset, 2 threads", "TensorFlow": "TensorFlow tf.data", "PyTorch": "PyTorch DataLoader"}
    speeds = speeds or {"Keras": [1e5, 1.02e5, 0.99e5], "TensorFlow": [3e5, 3.1e5, 2.9e5],
                        "PyTorch": [1e5, 1.01e5, 0.98e5]}
    sweep = [repeated(read_name("NumPy in memory"), mb, [1e6] * 3, [mb + 1, mb + 1.2, mb + 0.8]) for mb in (8, 136)]
    sweep += [repeated(read_name(own[f]), mb, [1e6] * 3, [5, 5.1, 4.9]) for f in frameworks for mb in (8, 136)]
    rows = [repeated(read_name("TensorFlow tf.data"), 34, [8e5, 8.2e5, 7.9e5], [5] * 3),
            repeated(read_name("TensorFlow tf.data, per example"), 34, [1e5, 1.1e5, 0.9e5], [2] * 3),
            repeated(train_name("TensorFlow tf.data", "Keras"), 34, [4e5] * 3, [5] * 3)]
    rows += [repeated(train_name(own[f], f), 34, speeds[f], [5] * 3) for f in frameworks]
    rows += [repeated(train_name("NumPy in memory", f), 34, speeds[f], [5] * 3) for f in frameworks]
    worker_rows = [repeated(read_name(row_name(0, False)), 8, [3e6, 3.1e6, 2.9e6], [0] * 3),
                   repeated(read_name(row_name(0, True)), 8, [1e5, 1.1e5, 0.9e5], [0] * 3),
                   repeated(read_name(row_name(2, True)), 8, [1.6e5, 1.7e5, 1.5e5], [9] * 3)]
    small = {"seconds": {"Keras": [0.1, 0.11, 0.1], "TensorFlow": [0.02, 0.021, 0.02], "PyTorch": [0.02, 0.02, 0.021]},
             "rounds": {f: [0, 1, 2] for f in ("Keras", "TensorFlow", "PyTorch")}}
    parallel = [{"engine": "torch", "name": "torch DDP", "replicas": 2, "tolerance": 1e-6,
                 "max_difference": {"mean": 1e-8, "sum": 1e-2},
                 "examples_per_s": {"1": [100.0, 101, 99], "2": [50.0, 51, 49]}},
                {"engine": "tensorflow", "name": "tf MirroredStrategy", "replicas": 2, "tolerance": 1e-6,
                 "max_difference": {"mean": 1e-8, "sum": 1e-2}, "examples_per_s": {}}]
    return sweep, rows, worker_rows, parallel, small


def test_verdict_words_come_from_the_numbers_and_missing_says_not_measured():
    sweep, rows, worker_rows, parallel, small = _scenario_inputs()
    assert "examples/s" in streaming.table(rows)
    text, key = streaming_report.pipeline_verdict(sweep, rows, worker_rows, parallel, small)
    assert "NumPy in memory: read: data 8 -> 136 MB, peak memory 9.2 -> 137.2 MB: grows" in text
    assert "Is Keras limited to small data? No: streamed from disk, its peak memory stayed about the same" in text
    assert "Keras fit also trained from TensorFlow tf.data" in text
    assert "one example per read: whole batches leads" in text  # judged
    assert "A DataLoader with 2 workers vs 0: not measured" in text  # no 2-worker row: never "No"
    assert "The same with per-example augmentation: 2 workers leads (2 workers/0 workers = " in text
    assert "Is Keras slower than TensorFlow, training from the same in-memory batches? TensorFlow leads " \
           "(TensorFlow/Keras = " in text
    assert "Is Keras slower than PyTorch, training from each framework's own streamed pipeline? " in text
    assert "about the same" in key["keras_slower"][3] and len(key["keras_slower"]) == 4
    assert "torch DDP: 2 replicas == 1 process on the whole batch: yes" in text and "1 replica leads" in text
    assert "tf MirroredStrategy" in text and "examples/s on this CPU: not measured" in text
    assert key["keras_limited_to_small_data"] is False
    assert key["verdicts"]["small datasets"]["verdict"] == "TensorFlow and PyTorch"
    assert key["verdicts"]["large datasets"]["verdict"] == "TensorFlow"
    assert "Keras flat, TensorFlow flat, PyTorch flat" in key["verdicts"]["large datasets"]["evidence"]
    assert [m["flat"] for m in key["memory"]] == [False, True, True, True]  # read by utils.scorecard


def test_verdict_without_keras_or_with_growing_memory_says_so():
    sweep, rows, worker_rows, parallel, _ = _scenario_inputs(keras=False)
    text, key = streaming_report.pipeline_verdict(sweep, rows, worker_rows, parallel)
    assert "Is Keras limited to small data? Not measured" in text and key["keras_limited_to_small_data"] is None
    assert "small datasets: not measured" in text and "large datasets: not measured" in text
    assert "Is Keras slower than TensorFlow, training from the same in-memory batches? not measured" in text
    assert key["verdicts"] == {}
    sweep, rows, worker_rows, parallel, small = _scenario_inputs()
    for r in sweep:
        if r["pipeline"].startswith("Keras") and r["data_mb"] == 136:
            r["peaks_mb"], r["peak_mb"] = [50, 52, 51], 52
    text, key = streaming_report.pipeline_verdict(sweep, rows, worker_rows, parallel, small)
    assert "its memory does not follow" not in text and "stayed about the same" not in text
    assert "Is Keras limited to small data? Not shown by memory" in text
    assert "the judge's word on its peak memory is grows" in text
    assert key["keras_limited_to_small_data"] is None
    assert "Keras grows" in key["verdicts"]["large datasets"]["evidence"]


def test_exercise_checks(capsys):
    assert not streaming.check_exercise("2: memory", ...)
    right = {"megabytes": 6 * 8 * 8192 * 65 * 4 / 1e6, "grows_with_dataset": False}
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


def test_release_memory_collects_garbage_and_leaves_no_process():
    import gc

    import psutil

    class Cycle:
        pass

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    del a, b
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    assert streaming.release_memory() is None
    assert not [o for o in gc.get_objects() if type(o) is Cycle], "the reference cycle is collected"
    assert {c.pid for c in psutil.Process().children(recursive=True)} <= before
