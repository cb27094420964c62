"""Unit tests of utils.bench without its workers: grid, FLOPs, statistics, record, table, verdict, idle wait."""

import os

import pytest

from utils import bench, models
from utils.bench import runner, timing


def fake_record(cells=None, contended_rounds=(), repeats=5):
    """A valid record built the way `run` builds one. cells: {config: (median, spread factor)},
    {config: [5 samples]} or {config: "failed"}; contended_rounds: the round indices the probe flagged."""
    cells = cells or {"keras-tf": (2.0e-3, 0.02), "tf-function": (1.0e-3, 0.02)}
    objects = []
    for config, spec in cells.items():
        cell = runner._cell(config, "mlp", 32, models.resolve_sizes("mlp"))
        if spec == "failed":
            cell.fail("RuntimeError: planted")
        else:
            median, width = spec if isinstance(spec, tuple) else (None, None)
            cell.samples_s = list(spec) if median is None else [median * (1 + width * f) for f in (-2, -1, 0, 1, 2)]
            cell.rounds = list(range(repeats))
            cell.cpu_share = [1.0] * repeats
            cell.first_step_s, cell.first_loss, cell.steps, cell.device = 0.5, 2.3, 10, "cpu"
        objects.append(cell)
    record = {"schema": bench.SCHEMA, "created": "2026-11-23T00:00:00+00:00",
              "settings": {"threads_requested": None, "repeats": repeats, "max_spread": bench.MAX_SPREAD,
                           "configs": list(cells)},
              "machine": {"cpu": "test CPU", "cpu_count": 2, "usable_cpus": 2}, "versions": {}, "workers": {},
              "calibration_s": 1e-3, "wall_s": 1.0,
              "rounds": [{"efficiency": 0.4 if i in contended_rounds else 0.95, "slowdown": 1.0, "pressure": None,
                          "contended": i in contended_rounds} for i in range(repeats)]}
    runner.finish(record, objects, {"numpy": {"median_gflops": 100.0, "best_gflops": 110.0}})
    return bench.validate(record)


def test_statistics_of_known_samples():
    stats = bench.summarize([5.0, 1.0, 4.0, 2.0, 3.0])
    assert stats == {"n": 5, "median": 3.0, "q1": 2.0, "q3": 4.0, "min": 1.0, "max": 5.0, "spread": 2.0 / 3.0}
    assert bench.summarize([2.0])["spread"] == 0.0


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [1.0, -2.0], [0.0], [[1.0, 2.0]]])
def test_statistics_reject_bad_samples(bad):
    with pytest.raises(ValueError, match="samples must"):
        bench.summarize(bad)


def test_flops_by_hand_and_linear_in_batch():
    assert bench.step_flops("mlp", 1) == 2 * 2 * 64 * 64 + 3 * 2 * 64 * 10
    for workload in bench.WORKLOADS:
        assert bench.step_flops(workload, 12) == 12 * bench.step_flops(workload, 1)
    big = bench.scaled_sizes(4, ["mlp", "cnn"])
    assert big == {"mlp": {"inputs": 256, "hidden": 256}, "cnn": {"filters1": 32, "filters2": 64}}


def test_bad_arguments_wrong_type_is_type_error_wrong_value_is_value_error():
    with pytest.raises(ValueError, match="configs"):
        bench.check_grid(["keras-theano"], ["mlp"], 32)
    with pytest.raises(ValueError, match="workloads"):
        bench.check_grid(["tf-eager"], ["rnn"], 32)
    with pytest.raises(TypeError, match="configs"):
        bench.check_grid(3, ["mlp"], 32)
    for batch, error in ((0, ValueError), (2.5, TypeError), (True, TypeError), ([], ValueError), ("8", TypeError)):
        with pytest.raises(error, match="batch"):
            bench.check_grid(["tf-eager"], ["mlp"], batch)
    with pytest.raises(ValueError, match="no batch sizes for"):
        bench.check_grid(["tf-eager"], ["mlp", "cnn"], {"mlp": 8})
    with pytest.raises(ValueError, match="repeats"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, repeats=0)
    with pytest.raises(TypeError, match="repeats"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, repeats=2.0)
    with pytest.raises(ValueError, match="block_seconds"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, block_seconds=0)
    with pytest.raises(ValueError, match="threads"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, threads=0)
    with pytest.raises(TypeError, match="sizes"):
        bench.check_grid(["tf-eager"], ["mlp"], 8, sizes=[1])
    with pytest.raises(ValueError, match="factor"):
        bench.scaled_sizes(0)
    with pytest.raises(TypeError, match="factor"):
        bench.scaled_sizes(1.5)
    with pytest.raises(TypeError, match="progress"):
        bench.run(["tf-eager"], ["mlp"], 8, progress="loud")
    with pytest.raises(TypeError, match="all_at_once"):
        bench.run(["tf-eager"], ["mlp"], 8, all_at_once="yes")
    with pytest.raises(ValueError, match="timeout"):
        bench.run(["tf-eager"], ["mlp"], 8, timeout=0)
    record = fake_record()
    with pytest.raises(ValueError, match="margin"):
        bench.verdict(record, "keras-tf", "tf-function", "mlp", 32, margin=-1)
    with pytest.raises(ValueError, match="config"):
        bench.verdict(record, "keras-cntk", "tf-function", "mlp", 32)
    with pytest.raises(TypeError, match="record"):
        bench.verdict([], "keras-tf", "tf-function", "mlp", 32)
    with pytest.raises(ValueError, match="no result for"):
        bench.verdict(record, "keras-tf", "torch-eager", "mlp", 32)


def test_verdict_clear_win_names_both_medians_and_the_interval():
    v = bench.verdict(fake_record(), "keras-tf", "tf-function", "mlp", 32)
    assert v.word == "slower" and v.ratio == pytest.approx(2.0) and v.interval == pytest.approx((2.0, 2.0))
    assert str(v) == ("Keras/TF is 2x slower than tf.function on mlp at batch 32 (Keras/TF 2 ms, tf.function 1 ms; "
                      "ratio 2.00, 95% interval 2.00-2.00, from 5 paired rounds).")
    assert bench.verdict(fake_record(), "tf-function", "keras-tf", "mlp", 32).word == "faster"


def test_verdict_tie_within_the_margin():
    record = fake_record({"torch-eager": (1.00e-3, 0.01), "tf-function": (1.05e-3, 0.01)})
    v = bench.verdict(record, "torch-eager", "tf-function", "mlp", 32)
    assert v.word == "about as fast" and "within 10%" in v.text


def test_verdict_interval_across_the_margin_cannot_tell():
    record = fake_record({"torch-eager": [1.0e-3] * 5, "tf-function": [0.8e-3, 1.3e-3, 0.9e-3, 1.4e-3, 1.05e-3]})
    v = bench.verdict(record, "torch-eager", "tf-function", "mlp", 32)
    assert v.word == "cannot tell" and "the interval crosses the 10% margin" in v.text and "run it again" in v.text


def test_verdict_a_noisy_cell_ranks_when_the_gap_is_wider_than_its_noise_and_a_shared_slow_period_cancels():
    far = fake_record({"torch-eager": (1.0e-3, 0.2), "tf-function": (3.0e-3, 0.01)})  # 0.6-1.4 ms against 3 ms
    assert bench.find_cell(far, "torch-eager", "mlp", 32)["state"] == "noisy"
    assert bench.verdict(far, "torch-eager", "tf-function", "mlp", 32).word == "faster"
    near = fake_record({"torch-eager": (1.0e-3, 0.2), "tf-function": (1.15e-3, 0.01)})
    assert bench.verdict(near, "torch-eager", "tf-function", "mlp", 32).word == "cannot tell"
    shared = fake_record({"torch-eager": (1.0e-3, 0.2), "tf-function": (1.05e-3, 0.2)})  # both slow in the same rounds
    assert {r["state"] for r in shared["results"]} == {"noisy"}
    assert bench.verdict(shared, "torch-eager", "tf-function", "mlp", 32).word == "about as fast"
    assert bench.verdict(shared, "torch-eager", "tf-function", "mlp", 32, margin=0.01).word == "faster"


def test_verdict_leaves_contended_rounds_out_and_cannot_tell_without_enough_free_ones():
    record = fake_record({"torch-eager": (1.0e-3, 0.01), "tf-function": (5.0e-3, 0.01)}, contended_rounds=(1, 2, 3))
    assert {r["state"] for r in record["results"]} == {"contended"}
    v = bench.verdict(record, "torch-eager", "tf-function", "mlp", 32)
    assert v.word == "cannot tell" and v.ratio is None
    assert "fewer than 3 rounds were free of other programs; 6 samples left out" in v.text
    one = fake_record({"torch-eager": (1.0e-3, 0.01), "tf-function": (5.0e-3, 0.01)}, contended_rounds=(4,))
    v = bench.verdict(one, "torch-eager", "tf-function", "mlp", 32)
    assert v.word == "faster" and "from 4 paired rounds; 2 samples left out" in v.text


def test_verdict_failed_cell_says_why():
    record = fake_record({"torch-eager": (1.0e-3, 0.01), "tf-function": "failed"})
    v = bench.verdict(record, "torch-eager", "tf-function", "mlp", 32)
    assert v.word == "cannot tell" and "tf.function failed (RuntimeError: planted)" in v.text


def test_table_marks_noisy_contended_and_failed_cells():
    record = fake_record({"torch-eager": (1.0e-3, 0.2), "tf-function": "failed", "keras-tf": (2e-3, 0.01)})
    text = bench.results_table(record)
    assert "! noisy 40%" in text and "FAILED: RuntimeError: planted" in text
    assert "contention: 0 of 5 rounds contended" in text and "-> quiet" in text
    busy = bench.results_table(fake_record(contended_rounds=(0, 1)))
    assert "! contended" in busy and "2 of 5 rounds contended" in busy and "cannot rank" in busy
    with pytest.raises(ValueError, match="workload"):
        bench.results_table(record, "cnn")


def test_record_round_trip_and_validation(tmp_path):
    record = fake_record()
    path = bench.save_record(record, tmp_path / "r.json")
    assert bench.load_record(path) == record
    broken = {**record, "results": [{**record["results"][0], "median_s": 9.0}]}
    with pytest.raises(ValueError, match="statistics do not match"):
        bench.validate(broken)
    with pytest.raises(ValueError, match="state 'pending' is not final"):
        bench.validate({**record, "results": [{**record["results"][0], "state": "pending"}]})
    with pytest.raises(TypeError, match="path"):
        bench.load_record(3)


def test_judge_round_flags_low_efficiency_or_slowdown():
    quiet = {"one_s": 2e-3, "all_s": 1.05e-3, "cpus": 2, "efficiency": 0.95}
    assert not timing.judge_round(quiet, 1e-3)["contended"]
    assert timing.judge_round({**quiet, "efficiency": 0.5}, 1e-3)["contended"]
    assert timing.judge_round(quiet, 0.5e-3)["contended"], "twice as slow as its calibration"
    assert not timing.judge_round({**quiet, "cpus": 1, "efficiency": 0.5}, 1e-3)["contended"]
    assert timing.judge_round(quiet, 1e-3, others=0.5)["contended"], "another program used a core of two"
    assert not timing.judge_round(quiet, 1e-3, others=0.05)["contended"]
    before = {"wall": 0.0, "busy_s": 10.0, "own_s": 1.0, "cpus": 2}
    assert timing.others_share(before, {"wall": 2.0, "busy_s": 13.0, "own_s": 2.0, "cpus": 2}) == 0.5
    assert timing.others_share(None, before) is None
    with pytest.raises(ValueError, match="calibration_s"):
        timing.judge_round(quiet, 0)


def test_cpu_pressure_reads_linux_format(tmp_path):
    path = tmp_path / "cpu"
    path.write_text("some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=0.00 avg60=0.00\n")
    assert timing.cpu_pressure(str(path)) == 12.5
    assert timing.cpu_pressure(str(tmp_path / "missing")) is None


def test_command_line_rejects_bad_input_before_starting_anything(capsys):
    from utils.bench.__main__ import main

    for argv in (["--configs", "keras-cntk"], ["--workloads", "mlp,lstm"], ["--batches", "0"],
                 ["--batches", "a"], ["--size", "mlp.hidden"], ["--scale", "0"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "keras-cntk" in err and "lstm" in err


def test_exercise_checks_compute_the_answer_and_catch_the_helper(capsys):
    import math

    from utils.bench import lesson

    record = fake_record()
    assert not lesson.check_can_tell(record, "keras-tf", "tf-function", "mlp", 32, ...)
    assert not lesson.check_can_tell(record, "keras-tf", "tf-function", "mlp", 32, "quicker")
    assert not lesson.check_can_tell(record, "keras-tf", "tf-function", "mlp", 32, "faster")
    assert lesson.check_can_tell(record, "keras-tf", "tf-function", "mlp", 32, "slower")
    helper = bench.verdict(record, "keras-tf", "tf-function", "mlp", 32)
    assert not lesson.check_can_tell(record, "keras-tf", "tf-function", "mlp", 32, helper)
    busy = fake_record(contended_rounds=(0, 1, 2))
    assert lesson.check_can_tell(busy, "keras-tf", "tf-function", "mlp", 32, "cannot tell")
    assert lesson.check_payback(lambda c, s, f: math.inf if f >= s else math.ceil(1000 * c / (s - f)))
    assert not lesson.check_payback(lambda c, s, f: 1000 * c / (s - f))
    assert not lesson.check_payback(...)
    assert lesson.check_best_share(record, "mlp", 32, "tf-function")
    assert not lesson.check_best_share(record, "mlp", 32, "keras-tf")
    assert not lesson.check_best_share(record, "mlp", 32, "jax")
    out = capsys.readouterr().out
    assert "bench.verdict's answer, not yours" in out and out.count(": correct") == 4


def test_key_results_record_the_speed_verdicts_from_the_fastest_configuration_of_each_framework():
    from utils.bench import lesson

    small = fake_record({"keras-tf": (2e-3, 0.01), "keras-jax": (0.5e-3, 0.01), "tf-function": (1e-3, 0.01),
                         "torch-eager": (0.8e-3, 0.02), "torch-compile": "failed"})
    key = lesson.key_results(small, fake_record())
    assert key["ms_per_step"] == {"Keras": 0.5, "TensorFlow": 1.0, "PyTorch": 0.8}
    assert key["claims"]["TensorFlow and PyTorch are about equally fast (small: mlp, batch 32)"] == "does not hold"
    assert key["claims"]["Keras is slower (large: mlp, batch 32)"] == "holds"
    assert set(key["verdicts"]) == set(), "fake records are at batch 32: neither scenario's case was measured"
    fast = lesson.speed_scenario(small, "mlp", 32, "ms per step")
    assert fast["verdict"] == "Keras" and fast["decided"] and "Keras (Keras/JAX) 0.5 ms" in fast["evidence"]
    busy = fake_record({"keras-tf": (2e-3, 0.01), "tf-function": (1e-3, 0.01), "torch-eager": (0.8e-3, 0.01)},
                       contended_rounds=(0, 1, 2))
    assert lesson.speed_scenario(busy, "mlp", 32, "ms per step") is None, "2 clean rounds: not measured"
    with pytest.raises(TypeError, match="big"):
        lesson.key_results(small, [])


def test_wait_until_idle_returns_at_once_for_idle_processes_and_waits_for_busy_ones():
    import subprocess
    import sys

    assert timing.wait_until_idle([os.getpid()], limit=2.0, interval=0.1) < 0.5, "this test sleeps: idle"
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        assert timing.wait_until_idle([busy.pid], limit=0.6, interval=0.1) >= 0.6, "a spinning process is busy"
    finally:
        busy.kill()
    with pytest.raises(TypeError, match="pids"):
        timing.wait_until_idle("123")


def test_configurations_per_workload_are_checked_like_batches():
    configs, workloads, batches, _ = bench.check_grid({"mlp": ["tf-eager", "keras-tf-spe"], "cnn": "torch-eager"},
                                                      ["mlp", "cnn"], 8)
    assert configs == {"mlp": ("tf-eager", "keras-tf-spe"), "cnn": ("torch-eager",)} and workloads == ("mlp", "cnn")
    with pytest.raises(ValueError, match="configs has no configs for \\['cnn'\\]"):
        bench.check_grid({"mlp": ["tf-eager"]}, ["mlp", "cnn"], 8)
    with pytest.raises(ValueError, match="attention"):
        bench.check_grid({"mlp": ["tf-eager"], "attention": ["tf-eager"]}, ["mlp"], 8)
    with pytest.raises(ValueError, match="configs\\['mlp'\\]"):
        bench.check_grid({"mlp": ["keras-theano"]}, ["mlp"], 8)
    assert bench.check_grid(["tf-eager"], ["mlp"], 8)[0] == ("tf-eager",), "a list stays one tuple for all"


def test_the_configurations_say_how_the_step_runs_and_steps_per_execution_is_not_a_default():
    assert bench.CONFIGS["keras-torch"].runs_as == "eager", "Keras's 'graph' mode is eager on torch"
    assert {c.runs_as for c in bench.CONFIGS.values()} == {"eager", "graph", "XLA", "TorchInductor"}
    assert bench.SPE_BASE == {"keras-tf-spe": "keras-tf", "keras-jax-spe": "keras-jax"}
    assert set(bench.DEFAULT_CONFIGS) == set(bench.CONFIGS) - set(bench.SPE_BASE)
    assert set(bench.grid()["configs"]) == set(bench.DEFAULT_CONFIGS)
    assert all(bench.CONFIGS[c].steps_per_execution == bench.STEPS_PER_EXECUTION > 1 for c in bench.SPE_BASE)


def test_one_peak_per_run_stated_and_reused_by_a_second_run():
    first = fake_record()
    line = bench.peak_line(first)
    assert line.startswith("matmul peak 100 GFLOP/s (numpy, ") and "measured once in this run" in line
    assert line in bench.results_table(first)
    cell = runner._cell("tf-function", "mlp", 32, models.resolve_sizes("mlp"))
    cell.samples_s, cell.rounds, cell.first_step_s, cell.steps = [1e-3] * 5, list(range(5)), 0.1, 10
    second = {**first, "rounds": first["rounds"], "created": "2026-11-23T00:05:00+00:00"}
    runner.finish(second, [cell], {}, reused=first["peak"])
    assert second["peak"]["gflops"] == first["peak"]["gflops"] and second["peak"]["library"] == "numpy"
    assert "reused from the run of 2026-11-23T00:00:00+00:00" in bench.peak_line(second)
    assert second["results"][0]["share_of_peak"] == pytest.approx(first["results"][1]["share_of_peak"])
    with pytest.raises(ValueError, match="peak"):
        bench.run(["tf-eager"], ["mlp"], 8, peak={"gflops": None})
    with pytest.raises(ValueError, match="peak_library"):
        bench.run(["tf-eager"], ["mlp"], 8, peak_library="cupy")


def test_an_older_record_without_the_feed_field_still_loads(tmp_path):
    import json

    record = fake_record()
    for r in record["results"]:
        del r["feed_s"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(record))
    assert all(r["feed_s"] is None for r in bench.load_record(path)["results"])


def test_the_keras_table_names_the_feed_and_the_twin_of_a_tuned_configuration():
    record = fake_record({"keras-tf": (2e-3, 0.01), "keras-tf-spe": (0.5e-3, 0.01), "tf-function": (1e-3, 0.01),
                          "keras-jax": (0.6e-3, 0.01)})
    for r in record["results"]:
        r["feed_s"] = 4e-5 if r["config"] == "keras-jax" else None
    rows = {line.split("  ")[0]: line for line in bench.keras_overhead_table(record, "mlp", 32).splitlines()}
    assert "feed ms/step" in rows["configuration"]
    assert "in graph" in rows["Keras/TF"] and "0.040" in rows["Keras/JAX"]
    assert rows["Keras/TF spe=16"].split()[-2:] == ["tf.function", "1.000"], "its base configuration's twin"


def test_printed_source_is_short_and_has_no_docstring():
    from utils import training
    from utils.bench import lesson

    for func, start in ((training.keras_step, None), (training.tensorflow_step, "def train_step"),
                        (training.torch_step, "network =")):
        text = lesson.step_source(func, start)
        assert len(text.splitlines()) <= 25 and '"""' not in text and "Args:" not in text
    assert lesson.step_source(training.tensorflow_step, max_lines=5).splitlines()[-1].startswith("# ... (")
    with pytest.raises(ValueError, match="no line"):
        lesson.step_source(training.torch_step, "not in it")


def test_the_run_cost_line_reads_the_record_clocks():
    record = {**fake_record(), "phases_s": {"start": 12.2, "warm_up": 8.0, "peak": 1.1, "rounds": 20.4},
              "wall_s": 42.0}
    from utils.bench.verdict import cost_line

    assert cost_line(record) == ("this run: 42 s (starting processes 12 s, warm-up and compiles 8 s, matmul peak "
                                 "1 s, 6 rounds 20 s)")
    assert cost_line(record) in bench.results_table(record)


def test_the_explorer_explains_a_configuration_not_timed_on_a_workload(capsys):
    pytest.importorskip("ipywidgets")
    from utils.bench import lesson

    widget = lesson.explorer(fake_record())
    widget.f("Keras/TF", "tf.function", ("mlp", 32))
    widget.f("Keras/TF", "tf.function", ("cnn", 32))
    out = capsys.readouterr().out
    assert "slower than tf.function" in out and "pick configurations timed on cnn at batch 32" in out


def test_the_checkpoint_judges_time_per_example_on_the_rounds():
    from utils import checkpoints

    def cell(batch, ms):
        return {"config": "torch-eager", "workload": "mlp", "batch": batch, "rounds": [0, 1, 2],
                "samples_s": [ms * f / 1e3 for f in (1.0, 1.1, 0.9)]}

    record = {"results": [cell(1, 1.0), cell(256, 10.0), cell(16, 16.0)]}
    assert checkpoints.per_example_time(record, "torch-eager", "mlp", 1, 256) == "shorter"
    assert checkpoints.per_example_time(record, "torch-eager", "mlp", 1, 16) == "about the same"
    with pytest.raises(ValueError, match="no time at batch 1 and 64"):
        checkpoints.per_example_time(record, "torch-eager", "mlp", 1, 64)


def test_a_checkpoint_on_a_run_that_cannot_tell_says_so_not_could_not_run(capsys):
    from utils import checkpoints

    def cell(batch, samples):
        return {"config": "torch-eager", "workload": "mlp", "batch": batch, "rounds": [0, 1, 2], "samples_s": samples}

    noisy = {"results": [cell(1, [1e-3, 3e-3, 0.5e-3]), cell(2, [4e-3, 1e-3, 2e-3])]}
    verdict = checkpoints.check_prediction("checkpoint: t", "shorter", checkpoints.per_example_time,
                                           checkpoints.PER_EXAMPLE, args=(noisy, "torch-eager", "mlp", 1, 2))
    out = capsys.readouterr().out
    assert not verdict and "cannot tell" in out and "could not run" not in out
    assert all(f"'{word}'" not in out for word in checkpoints.PER_EXAMPLE if word != "shorter")


def test_a_scenario_from_back_ends_run_one_after_another_is_judged_unpaired():
    """all_at_once=False: each back end has its own rounds, so no round is shared and the samples are unpaired."""
    from utils.bench import lesson

    record = fake_record({"keras-jax": (0.5e-3, 0.01), "tf-function": (1e-3, 0.01), "torch-eager": (0.8e-3, 0.01)})
    record["rounds"] = record["rounds"] * 3
    for i, r in enumerate(record["results"]):  # rounds 0-4, 5-9, 10-14: one back end after another
        r["rounds"] = list(range(5 * i, 5 * i + 5))
    fast = lesson.speed_scenario(bench.validate(record), "mlp", 32, "ms per step")
    assert fast["verdict"] == "Keras" and fast["decided"], fast
    assert "unpaired" in " ".join(fast["comparisons"])


def test_key_results_read_the_small_mlp_when_the_small_run_has_other_workloads():
    from utils.bench import lesson

    small = fake_record({"keras-jax": (0.5e-3, 0.01), "keras-jax-spe": (0.1e-3, 0.01), "tf-function": (1e-3, 0.01),
                         "torch-eager": (0.8e-3, 0.01)})
    other = {**small["results"][0], "workload": "cnn", "median_s": 1e-5, "state": "contended"}
    small["results"].append(other)  # a CNN cell of the same configuration, faster and contended
    key = lesson.key_results(small, fake_record())
    assert key["ms_per_step"] == {"Keras": 0.5, "TensorFlow": 1.0, "PyTorch": 0.8}, "the MLP, no steps_per_execution"
    assert key["states"]["keras-jax"] == "ok"
