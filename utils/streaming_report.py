"""Notebook 05's verdicts on its pipeline measurements, every one from the series' one judge.

Used by notebook 05 (datasets), on the rows `utils.streaming` measures and `utils.distributed`'s results.

    text, key_results = streaming_report.pipeline_verdict(sweep, rows, worker_rows, parallel, small)

Row names: `streaming.read_name(pipeline)` for a pipeline read alone, `streaming.train_name(pipeline,
framework)` for the same pipeline feeding that framework's training step ("read + train"). Speeds are
repeated measurements, compared by `verdicts.compare_repeats` on the interval of their ratio;
"flat" memory is `verdicts.compare_growth`: the peaks at the largest dataset against the smallest, round by
round, within a tenth of the data's growth. This module defines no threshold.
"""

from __future__ import annotations

from utils import scenarios, verdicts
from utils.streaming import FRAMEWORKS, read_name, train_name
from utils.tables import difference


def _framework(pipeline: str) -> str | None:
    return next((f for f in FRAMEWORKS if pipeline.startswith(f)), None)


def own_pipelines(rows) -> dict:
    """{framework: the pipeline of its own (its name starts with the framework's) that feeds its own step}."""
    out = {}
    for r in rows:
        pipeline, _, trainer = r["pipeline"].partition(": read + train, ")
        if trainer and _framework(pipeline) == trainer:
            out.setdefault(trainer, pipeline)
    return out


def growth(rows, name: str) -> dict:
    """For one pipeline: data and peak memory at the smallest and largest size, and the judge's word on them.

    "state" is "flat" when `verdicts.compare_growth` finds the peaks at the two sizes, round by round, about
    the same (their gap within a tenth of the data's growth), "grows" when the largest dataset's are higher
    beyond it, "shrinks" when lower, else "cannot tell"; "why" is the judge's sentence.
    """
    mine = sorted((r for r in rows if r["pipeline"] == name), key=lambda r: r["data_mb"])
    if len(mine) < 2:
        raise ValueError(f"pipeline {name!r} needs rows at two dataset sizes or more, got {len(mine)}")
    small, large = mine[0], mine[-1]
    peaks = [r.get("peaks_mb", [r["peak_mb"]]) for r in (small, large)]
    out = {"pipeline": name, "data_mb": (small["data_mb"], large["data_mb"]),
           "peak_mb": (small["peak_mb"], large["peak_mb"])}
    if min(min(p) for p in peaks) <= 0 or len(peaks[0]) != len(peaks[1]):
        return {**out, "state": "cannot tell", "flat": False,
                "why": "no pair of positive peaks per round at the two sizes to judge"}
    a, b = f"at {large['data_mb']:g} MB", f"at {small['data_mb']:g} MB"
    v = verdicts.compare_growth(a, peaks[1], b, peaks[0], data_growth=large["data_mb"] - small["data_mb"])
    state = {"about the same": "flat", "cannot tell": "cannot tell"}.get(v.word) or (
        "grows" if v.leader == a else "shrinks")
    return {**out, "state": state, "flat": state == "flat", "why": f"peak memory {v.why}"}


def flat_pipelines(rows) -> int:
    """How many of the sweep's pipelines the judge calls flat (notebook 05's checkpoint)."""
    return sum(growth(rows, name)["flat"] for name in dict.fromkeys(r["pipeline"] for r in rows))


def compare(fast: dict, slow: dict, names: tuple[str, str] | None = None) -> verdicts.RepeatVerdict | None:
    """Judge two rows' repeated examples/s with `verdicts.compare_repeats` (higher is better), naming them by
    `names` (default: their pipelines); None when a row has no repeats."""
    if not fast.get("samples") or not slow.get("samples"):
        return None
    pair = (fast["rounds"], slow["rounds"]) if fast.get("rounds") and slow.get("rounds") else None
    a, b = names or (fast["pipeline"], slow["pipeline"])
    return verdicts.compare_repeats(a, fast["samples"], b, slow["samples"], rounds=pair, lower_is_better=False)


def _said(v) -> str:
    return v.why if v is not None else "not measured"


def small_scenario(timed: dict | None) -> dict | None:
    """'small datasets': ms per epoch of the same in-memory dataset per framework (`time_rounds`), judged by
    `scenarios.repeats_scenario`; None (not measured) unless all three frameworks were timed."""
    if not timed or any(f not in timed["seconds"] for f in FRAMEWORKS):
        return None
    return scenarios.repeats_scenario({f: [1e3 * s for s in timed["seconds"][f]] for f in FRAMEWORKS},
                                     "ms to train one epoch of the same small in-memory dataset",
                                     rounds={f: timed["rounds"][f] for f in FRAMEWORKS}, unit="ms")


def large_scenario(rows, grown) -> dict | None:
    """'large datasets': examples/s training the MLP from each framework's own streamed pipeline (`own_pipelines`; the
    "read + train" rows, paired by round), with each pipeline's memory word from the sweep in the evidence;
    None (not measured) unless all three were measured."""
    by, own = {r["pipeline"]: r for r in rows}, own_pipelines(rows)
    trained = {f: by.get(train_name(own[f], f)) if f in own else None for f in FRAMEWORKS}
    words = {_framework(g["pipeline"]): g["state"] for g in grown if _framework(g["pipeline"])}
    if not all(trained.values()) or any(f not in words for f in FRAMEWORKS):
        return None
    size = trained["Keras"]["data_mb"]
    memory = ", ".join(f"{f} {words[f]}" for f in FRAMEWORKS)
    return scenarios.repeats_scenario(
        {f: trained[f]["samples"] for f in FRAMEWORKS},
        f"examples/s training the MLP from each framework's pipeline streaming {size:g} MB from disk "
        f"(peak memory from the smallest dataset to the largest: {memory})",
        rounds={f: trained[f]["rounds"] for f in FRAMEWORKS}, lower_is_better=False, unit="examples/s",
        labels={f: own[f] for f in FRAMEWORKS})


def keras_slower_lines(rows) -> list[str]:
    """"Is Keras slower?" judged on the "read + train" rows: Keras against TensorFlow and PyTorch, on the same
    in-memory batches (the training step alone differs) and on each framework's own streamed pipeline."""
    by, own = {r["pipeline"]: r for r in rows}, own_pipelines(rows)
    lines = []
    for what, pipeline in (("the same in-memory batches", lambda f: "NumPy in memory"),
                           ("each framework's own streamed pipeline", own.get)):
        keras = by.get(train_name(pipeline("Keras"), "Keras")) if pipeline("Keras") else None
        for other in FRAMEWORKS[1:]:
            row = by.get(train_name(pipeline(other), other)) if pipeline(other) else None
            said = compare(row, keras, (other, "Keras")).why if keras and row else "not measured"
            lines.append(f"Is Keras slower than {other}, training from {what}? {said}")
    return lines


def _keras_line(grown, rows) -> tuple[str, bool | None]:
    """The answer to "Is Keras limited to small data?" in words from the measurements, and the recorded flag
    (False: its streamed memory measured flat; None: not shown)."""
    keras = [g for g in grown if g["pipeline"].startswith("Keras")]
    also = [r["pipeline"].split(":")[0] for r in rows if r["pipeline"].endswith("read + train, Keras")
            and not r["pipeline"].startswith(("Keras", "NumPy"))]
    trained_from = f"; Keras fit also trained from {' and '.join(also)}" if also else ""
    if not keras:
        return "Is Keras limited to small data? Not measured: no Keras pipeline in the sweep.", None
    sizes = ", ".join(f"{g['pipeline']} {g['peak_mb'][0]:.1f} -> {g['peak_mb'][1]:.1f} MB" for g in keras)
    data = f"the data grew {keras[0]['data_mb'][0]:g} -> {keras[0]['data_mb'][1]:g} MB"
    if all(g["flat"] for g in keras):
        return (f"Is Keras limited to small data? No: streamed from disk, its peak memory stayed about the same "
                f"({sizes}) while {data}{trained_from}.", False)
    states = ", ".join(sorted({g["state"] for g in keras}))
    return (f"Is Keras limited to small data? Not shown by memory: streamed from disk, the judge's word on its "
            f"peak memory is {states} ({sizes}) while {data}{trained_from}.", None)


def _parallel_line(r: dict) -> str:
    speed, replicas = r.get("examples_per_s") or {}, str(r["replicas"])
    if speed.get("1") and speed.get(replicas):
        many, one = (s if isinstance(s, list) else [s] for s in (speed[replicas], speed["1"]))
        said = verdicts.compare_repeats(f"{replicas} replicas", many, "1 replica", one,
                                        lower_is_better=False).why
    else:
        said = "not measured"
    return (f"- {r['name']}: {r['replicas']} replicas == 1 process on the whole batch: "
            f"{'yes' if _equivalent(r) else 'NO'} (largest difference "
            f"{difference(r['max_difference']['mean'], r['tolerance'])}); examples/s on this CPU: {said}")


def _equivalent(r) -> bool:
    from utils.distributed import equivalent

    return equivalent(r)


def pipeline_verdict(sweep_rows, rows, worker_rows, parallel, small: dict | None = None) -> tuple[str, dict]:
    """The notebook's verdict, built from its measurements by `utils.verdicts`: memory growth, whether Keras
    is slower, what limits a pipeline, data parallel, and the two scenarios notebook 07 reads.

    Args:
        sweep_rows: `sweep` rows of pipelines read alone at several dataset sizes (one is "NumPy in memory");
            a streamed pipeline whose name starts with "Keras", "TensorFlow" or "PyTorch" is that framework's.
        rows: "read" and "read + train" rows at one size (`read_name`, `train_name`), among them the
            tf.data pipeline read whole batches and per example (a missing one: not measured).
        worker_rows: `utils.workers.measure_workers` rows.
        parallel: `utils.distributed.data_parallel` results, one per engine.
        small: `time_rounds` of one epoch of the same in-memory dataset per framework (None: not measured).
    Returns:
        (text, key results for `utils.results.record`, with "verdicts": {"small datasets", "large datasets"}
        where measured).
    """
    from utils.workers import row_name

    grown = [growth(sweep_rows, name) for name in dict.fromkeys(r["pipeline"] for r in sweep_rows)]
    by = {r["pipeline"]: r for r in [*rows, *worker_rows]}
    judged_scenarios = {"small datasets": small_scenario(small), "large datasets": large_scenario(rows, grown)}
    lines = ["2019 claim: Keras is for small datasets because it is slower; TensorFlow and PyTorch for large ones."]
    for g in grown:
        lines.append(f"- {g['pipeline']}: data {g['data_mb'][0]:g} -> {g['data_mb'][1]:g} MB, peak memory "
                     f"{g['peak_mb'][0]:.1f} -> {g['peak_mb'][1]:.1f} MB: {g['state']} ({g['why']})")
    keras_line, keras_flat = _keras_line(grown, rows)
    slower = keras_slower_lines(rows)
    lines += [keras_line, *slower]

    def judged(a, b, names):
        return compare(by[a], by[b], names) if a in by and b in by else None

    per_example = judged(read_name("TensorFlow tf.data"), read_name("TensorFlow tf.data, per example"),
                         ("whole batches", "one example per read"))
    workers = judged(read_name(row_name(2, False)), read_name(row_name(0, False)), ("2 workers", "0 workers"))
    augmented = judged(read_name(row_name(2, True)), read_name(row_name(0, True)), ("2 workers", "0 workers"))
    lines.append(f"What limits a pipeline? Whole batches per read vs one example per read: {_said(per_example)}. "
                 f"A DataLoader with 2 workers vs 0: {_said(workers)}. The same with per-example augmentation: "
                 f"{_said(augmented)}.")
    lines += [_parallel_line(r) for r in parallel]
    lines += [scenarios.scenario_line(scenario, v) for scenario, v in judged_scenarios.items()]
    results = {"memory": grown, "rows": rows, "keras_limited_to_small_data": None if keras_flat is None else False,
               "keras_slower": slower, "per_example_vs_batched": _said(per_example), "workers_2_vs_0": _said(workers),
               "workers_2_vs_0_augmented": _said(augmented),
               "data_parallel": [{k: r.get(k) for k in ("engine", "replicas", "max_difference", "examples_per_s")}
                                 for r in parallel],
               "verdicts": {k: v for k, v in judged_scenarios.items() if v is not None}}
    return "\n".join(lines), results
