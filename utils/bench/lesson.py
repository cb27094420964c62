"""Notebook 02's helpers around the benchmark: a progress bar, an explorer widget, the exercise checks, and
the recorded GPU run shown beside the CPU run (`gpu_reference`).

Used by notebook 02 (speed). The exercises' expected answers are computed here, never in the notebook.
"""

from __future__ import annotations

from utils import scenarios
from utils.bench import gpu
from utils.bench.claims import judge_claims
from utils.bench.configs import CONFIGS, SPE_BASE
from utils.bench.record import MEASURED
from utils.bench.verdict import Verdict, clean_samples, contention_summary, verdict
from utils.checks import check_dict, check_int, check_str
from utils.exercises import check, check_function, not_a_choice, report
from utils.verdicts import MIN_REPEATS


def step_source(func, start: str | None = None, max_lines: int = 25) -> str:
    """`func`'s source without its docstring, from the first line containing `start` (None: the whole body),
    at most `max_lines` lines: what notebook 02 prints of a training step (full source: its module)."""
    import ast
    import inspect
    import textwrap

    check_int("max_lines", max_lines, minimum=2)
    text = textwrap.dedent(inspect.getsource(func))
    lines = text.splitlines()
    body = ast.parse(text).body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        lines = lines[:body[0].lineno - 1] + lines[body[0].end_lineno:]  # the docstring's lines dropped
    if start is not None:
        at = next((i for i, line in enumerate(lines) if start in line), None)
        if at is None:
            raise ValueError(f"no line of {func.__qualname__} contains {start!r}")
        lines = [f"# {func.__module__}.{func.__qualname__}, from `{start.strip()}`:"] + lines[at:]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [f"# ... ({len(lines) - max_lines + 1} more lines in {func.__module__})"]
    return "\n".join(lines)


def progress_bar(description: str = "benchmark"):
    """A function for `run(progress=...)` that shows one ipywidgets bar (one updating line without Jupyter)."""
    check_str("description", description)
    try:
        import ipywidgets as widgets
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is None:
            raise ImportError
    except ImportError:
        def show(done, total, text):
            print(f"\r{description}: {done}/{total} {text[:60]:<60}", end="" if done < total else "\n", flush=True)
        return show
    bar = widgets.IntProgress(min=0, max=1, description=description)
    label = widgets.Label()
    display(widgets.HBox([bar, label]))

    def update(done, total, text):
        bar.max, bar.value, label.value = total, done, text
    return update


def explorer(record: dict):
    """A widget: pick two configurations and a batch size; it prints the verdict from `record`."""
    check_dict("record", record)
    import ipywidgets as widgets

    names = {r["label"]: r["config"] for r in record["results"]}
    cases = sorted({(r["workload"], r["batch"]) for r in record["results"]})
    a = widgets.Dropdown(options=list(names), description="A")
    b = widgets.Dropdown(options=list(names), value=list(names)[-1], description="B")
    where = widgets.Dropdown(options=[(f"{w}, batch {n}", (w, n)) for w, n in cases], description="workload")
    def show(a, b, where):
        try:
            print(verdict(record, names[a], names[b], *where))
        except ValueError as err:  # a configuration this run did not time on that workload
            print(f"{err}: pick configurations timed on {where[0]} at batch {where[1]}")
    return widgets.interactive(show, a=a, b=b, where=where)


def check_can_tell(record: dict, a: str, b: str, workload: str, batch: int, answer) -> object:
    """Exercise: the learner decides "faster", "slower", "about as fast" or "cannot tell" for a against b."""
    words = ("faster", "slower", "about as fast", "cannot tell")
    if isinstance(answer, Verdict):
        return report("1", "that is bench.verdict's answer, not yours: read the two rows of the table and decide")
    if answer is Ellipsis:
        return report("1", f"replace the `...` with one of {list(words)}")
    reason = not_a_choice(answer, words, loose=False)
    if reason:
        return report("1", reason)
    expected = verdict(record, a, b, workload, batch).word
    return check("1", answer, expected, hint="compare the two medians, then ask whether the rounds vary enough "
                 "that the ratio could still be within 10% of 1 (or cross it)")


def check_payback(func) -> object:
    """Exercise: `func(compile_s, slow_ms, fast_ms)` returns the steps after which compiling has paid back."""
    import math

    def steps(compile_s, slow_ms, fast_ms):
        return math.inf if fast_ms >= slow_ms else math.ceil(1e3 * compile_s / (slow_ms - fast_ms))
    cases = [((c, s, f), steps(c, s, f)) for c, s, f in ((2.0, 0.5, 0.3), (10.0, 1.0, 0.9), (1.0, 0.3, 0.4))]
    return check_function("2", func, cases, hint="each step saves slow_ms - fast_ms; round up; never: math.inf")


def check_best_share(record: dict, workload: str, batch: int, answer) -> object:
    """Exercise: which configuration reaches the largest share of the matmul peak (any not told apart counts)."""
    check_dict("record", record)
    check_int("batch", batch, minimum=1)
    if answer is Ellipsis:
        return report("3", "replace the `...` with a configuration name such as 'torch-eager'")
    reason = not_a_choice(answer, CONFIGS, loose=False)
    if reason:
        return report("3", reason)
    cells = [r for r in record["results"] if (r["workload"], r["batch"]) == (workload, batch)
             and r["state"] in MEASURED]
    best = min(cells, key=lambda r: r["median_s"])["config"]
    if answer not in {r["config"] for r in cells}:  # failed, not available, or not part of this run
        return report("3", f"{CONFIGS[answer].label} has no time on this run (failed, not available or not run): "
                      "pick one that was measured")
    close = answer == best or verdict(record, answer, best, workload, batch).word in ("about as fast", "cannot tell")
    return check("3", True, close) if close else report(
        "3", f"{CONFIGS[answer].label} is told apart from the best on this run; look at the % peak column again")


SCENARIOS = {"short training duration": ("small", "mlp", 64), "high performance": ("large", "mlp", 256)}


def speed_scenario(record: dict, workload: str, batch: int, what: str) -> dict | None:
    """A scenario's verdict (`scenarios.repeats_scenario`) from the fastest configuration of each framework.

    The samples are ms per step, the rounds another program held the CPU in left out, paired by round where
    the frameworks ran in the same rounds (all back ends alive together), else compared unpaired.
    None when a framework has no measured cell or fewer than MIN_REPEATS clean rounds (07: not measured).
    """
    from utils.frameworks import COMPARED, framework

    names = [f.name for f in COMPARED]

    check_dict("record", record)
    contended = {i for i, r in enumerate(record["rounds"]) if r.get("contended")}
    fastest: dict = {}
    for cell in record["results"]:
        if (cell["state"] in MEASURED and (cell["workload"], cell["batch"]) == (workload, batch)
                and cell["config"] not in SPE_BASE):  # as users get them: steps_per_execution is judged apart
            name = framework(cell["framework"]).name
            if name not in fastest or cell["median_s"] < fastest[name]["median_s"]:
                fastest[name] = cell
    kept = {n: clean_samples(fastest[n], contended) for n in names if n in fastest}
    if len(kept) < len(names) or min(len(k[0]) for k in kept.values()) < MIN_REPEATS:
        return None
    shared = set.intersection(*(set(k[1]) for k in kept.values()))  # one back end after another: none shared
    return scenarios.repeats_scenario({n: [1e3 * s for s in k[0]] for n, k in kept.items()}, what,
                                     rounds={n: k[1] for n, k in kept.items()} if len(shared) >= MIN_REPEATS
                                     else None, unit="ms", labels={n: fastest[n]["label"] for n in kept})


def key_results(small: dict, big: dict) -> dict:
    """Notebook 02's key results for `utils.results.record` (read by notebook 07's scorecard).

    "verdicts": the scenarios 02 decides (SCENARIOS: the small MLP at batch 64, the large one at batch 256),
    each from the fastest configuration of each framework (`speed_scenario`; absent when not measured);
    "ms_per_step": each framework's best median ms per step on the small MLP (Keras: any back end, without
    steps_per_execution); "states": each small-MLP configuration's state;
    "claims": each 2019 claim's outcome per case of both runs (`claims.judge_claims`).
    """
    from utils.frameworks import framework

    check_dict("small", small)
    check_dict("big", big)
    best: dict = {}
    for r in small["results"]:
        if r["state"] in MEASURED and r["config"] not in SPE_BASE and r["workload"] == "mlp":
            name = framework(r["framework"]).name
            best[name] = min(best.get(name, float("inf")), round(1e3 * r["median_s"], 4))
    runs = {"small": small, "large": big}
    judged = {run: judge_claims(record) for run, record in runs.items()}
    scenarios = {scenario: speed_scenario(runs[run], workload, batch, f"ms per training step, {run} MLP at batch "
                                          f"{batch}, fastest configuration of each framework")
                 for scenario, (run, workload, batch) in SCENARIOS.items()}
    return {"verdicts": {k: v for k, v in scenarios.items() if v is not None},
            "ms_per_step": best,
            "claims": {f"{r['claim']} ({run}: {r['workload']}, batch {r['batch']})": r["outcome"]
                       for run, rows in judged.items() for r in rows},
            "states": {r["config"]: r["state"] for r in small["results"] if r["workload"] == "mlp"},
            "share_of_peak_large_mlp_batch_256": {r["config"]: r["share_of_peak"] for r in big["results"]
                                                  if r["batch"] == 256},
            "contention": {"small": contention_summary(small), "large": contention_summary(big)}}


def gpu_reference(path=None) -> str:
    """The recorded GPU run (data/reference_results/bench_gpu.json) as a dated table, or why there is none.

    One line in notebook 02: `print(lesson.gpu_reference())`, beside this machine's CPU run.
    """
    record = gpu.load_reference(gpu.REFERENCE if path is None else path)
    if record is None:
        return ("No GPU run recorded: run `python -m utils.bench --gpu-reference "
                "data/reference_results/bench_gpu.json` on a machine with a GPU to make one.")
    if not gpu.on_gpu(record):
        return f"The recorded 'GPU' run of {record['created'][:10]} found no GPU: no GPU reference."
    return gpu.reference_table(record)
