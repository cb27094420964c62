"""Tables, summary, verdict and loss-curve figure for the bug catalogue, and notebook 04's exercise checks.

Used by notebook 04.

    captures = {bug: {fw: debugging.capture(bugs.LOUD[bug][fw]) for fw in ...} for bug in bugs.LOUD_BUGS}
    result = debug_report.score_summary(captures, findings)
    verdict = debug_report.message_verdict(result)           # the judge's dict, for results.record
    print(debug_report.debugging_verdict(result, verdict))

Each loud bug gets the error-message score of `utils.debugging` (its rubric is stated there). The verdict is
not decided here: `message_verdict` hands the scores to the one judge, `utils.scenarios.items_scenario` (a
bootstrap over the bugs), and every sentence of `debugging_verdict` is computed from the dict it returns.
"""

from __future__ import annotations

import functools

import numpy as np

from utils import bugs, data, debugging, plots, scenarios, training
from utils.checks import check_choice, check_dict, check_int, check_str
from utils.exercises import not_a_choice, report
from utils.frameworks import COMPARED, COMPARED_IDS, framework
from utils.tables import text_table

CHECK_NAMES = ("loss curve", "gradient norm", "repeatable evaluation", "logits, not probabilities")
SUMMARY_KEYS = ("loud_raised", "loud_right", "loud_wrong", "scores", "mean_score", "silent_planted", "silent_flagged")
WHAT = "error-message score over the same planted bugs"  # what the verdict judges
CLAIM = "PyTorch"  # the 2019 claim: "PyTorch has better debugging capabilities than the other two"


def _check_catalogue(name: str, value: dict, bug_names, item_ok, item_kind: str, every_framework: bool) -> None:
    check_dict(name, value)
    if not value:
        raise ValueError(f"{name} is empty: give at least one bug")
    for bug, per in value.items():
        check_choice(f"{name} key", bug, bug_names)
        check_dict(f"{name}[{bug!r}]", per)
        for fw, item in per.items():
            check_choice(f"{name}[{bug!r}] key", fw, COMPARED_IDS)
            if not item_ok(item):
                raise TypeError(f"{name}[{bug!r}][{fw!r}] must be {item_kind}, got {type(item).__name__}")
        if every_framework and [fw for fw in COMPARED_IDS if fw not in per]:
            raise ValueError(f"{name}[{bug!r}] lacks framework(s) {[fw for fw in COMPARED_IDS if fw not in per]}")


def _check_captures(captures, every_framework: bool = False) -> None:
    _check_catalogue("captures", captures, bugs.LOUD_BUGS, lambda c: isinstance(c, debugging.Capture),
                     "a debugging.Capture", every_framework)


def _check_findings(findings) -> None:
    _check_catalogue("findings", findings, bugs.SILENT_BUGS, lambda item: isinstance(item, tuple) and len(item) == 2
                     and all(isinstance(f, debugging.Finding) for f in item), "a (buggy, fixed) Finding pair", False)


def _check_result(result) -> None:
    check_dict("result", result)
    names = [f.name for f in COMPARED]
    for name, r in result.items():
        check_choice("result key", name, names)
        check_dict(f"result[{name!r}]", r)
        missing = [k for k in SUMMARY_KEYS if k not in r]
        if missing:
            raise ValueError(f"result[{name!r}] lacks {missing}: pass what debug_report.score_summary returns")
        check_dict(f"result[{name!r}]['scores']", r["scores"])
        bad = {b: v for b, v in r["scores"].items() if isinstance(v, bool) or not isinstance(v, int | float)
               or not 0 <= v <= debugging.MAX_SCORE}
        if bad:
            raise ValueError(f"result[{name!r}]['scores'] must hold scores from 0 to {debugging.MAX_SCORE}, got {bad}")
    if len(result) < 2:
        raise ValueError(f"result must hold at least two frameworks to compare, got {sorted(result)}")
    items = [list(r["scores"]) for r in result.values()]
    if not items[0] or any(i != items[0] for i in items):
        raise ValueError(f"result's frameworks must be scored on the same bugs in the same order, got {items}")


# ---- tables, summary, verdict --------------------------------------------------------------------

OUTCOME_WORDS, NAMED_SHORT = ({"raised": "exception", "right": "right result", "wrong": "silent wrong"},
                              {"layer": "layer", "operation": "op", "shape": "shape", "your line": "line"})


def _score(bug: str, fw: str, seen) -> debugging.Score:
    right = not seen.raised and bugs.right_result(bug, fw, seen.value)
    return debugging.score(seen, bugs.SCORING[bug], right)


def loud_table(captures: dict) -> str:
    """One row per loud bug and framework: what the learner sees, how it scores and why (see utils.debugging)."""
    _check_captures(captures)
    rows = []
    for bug, per_framework in captures.items():
        for fw, seen in per_framework.items():
            s = _score(bug, fw, seen)
            points = ((", ".join(NAMED_SHORT[n] for n in s.named) or "nothing"), s.both_sides, s.lines, s.short)
            rows.append({"bug": bug, "framework": framework(fw).name, "what the learner sees": seen.summary(52),
                         "outcome": OUTCOME_WORDS[s.outcome], **dict(zip(
                             ("culprit named by", "sides", "lines", "short"),
                             points if s.outcome == "raised" else ("-",) * 4, strict=True)),
                         "score": f"{s.total}/{debugging.MAX_SCORE}"})
    return text_table(rows)


def silent_table(findings: dict) -> str:
    """One row per silent bug and framework: the check's verdict on the buggy and on the fixed run."""
    _check_findings(findings)
    rows = []
    mark = {True: "flagged", False: "passed", None: "-"}
    for bug, per_framework in findings.items():
        for fw, (buggy, fixed) in per_framework.items():
            rows.append({"bug": bug, "framework": framework(fw).name, "check": buggy.check,
                         "buggy": mark[buggy.flagged], "fixed": mark[fixed.flagged],
                         "why (buggy run)": bugs.NOT_PLANTABLE.get((bug, fw), buggy.reason)[:58]})
    return text_table(rows)


def score_summary(captures: dict, findings: dict) -> dict:
    """Per framework: each loud bug's score, their mean, how the bugs ended, silent bugs planted and flagged.
    Args:
        captures: {loud bug: {framework id: debugging.Capture}}, every framework for each bug.
        findings: {silent bug: {framework id: (finding on the buggy run, finding on the fixed run)}}.

    Returns {framework name: {"scores" ({loud bug: 0-4}), "mean_score", "loud_raised", "loud_right", "loud_wrong",
    "silent_planted", "silent_flagged" (flagged while the fixed run passed)}}.
    """
    _check_captures(captures, every_framework=True)
    _check_findings(findings)
    out = {}
    for f in COMPARED:
        scores = {bug: _score(bug, f.id, per[f.id]) for bug, per in captures.items()}
        outcomes = [s.outcome for s in scores.values()]
        planted = [(b, pair) for b, per in findings.items() for fw, pair in per.items() if fw == f.id]
        out[f.name] = {
            "scores": {bug: s.total for bug, s in scores.items()},
            "mean_score": round(float(np.mean([s.total for s in scores.values()])), 2),
            "loud_raised": outcomes.count("raised"), "loud_right": outcomes.count("right"),
            "loud_wrong": outcomes.count("wrong"),
            "silent_planted": sum(pair[0].flagged is not None for _, pair in planted),
            "silent_flagged": [b for b, pair in planted if pair[0].flagged and pair[1].flagged is False],
        }
    return out


def summary_table(result: dict) -> str:
    """The summary as a table, one row per framework."""
    _check_result(result)
    return text_table([{"framework": name, "loud bugs: exception": r["loud_raised"],
                        "right result": r["loud_right"], "silent wrong": r["loud_wrong"],
                        "mean message score (of 4)": f"{r['mean_score']:.2f}",
                        "silent bugs flagged / planted": f"{len(r['silent_flagged'])}/{r['silent_planted']}"}
                       for name, r in result.items()])


def message_verdict(result: dict) -> dict:
    """The verdict on the messages: `scenarios.items_scenario` (the one judge) over the per-bug scores."""
    _check_result(result)
    return scenarios.items_scenario({name: list(r["scores"].values()) for name, r in result.items()},
                                   what=WHAT, scale=debugging.MAX_SCORE)


def _claim(verdict: dict, name: str = CLAIM) -> str:
    """Whether "`name` is easier to debug" holds, from the judge's dict (holds / in part / not / cannot tell)."""
    leaders = list(verdict["leaders"])
    if verdict["decided"]:
        if name in leaders:
            others = " and ".join(n for n in leaders if n != name)
            return f"holds in part: {name} shares the lead with {others}" if others else f"holds: {name} leads"
        return f"does not hold: {' and '.join(leaders)} lead{'s' if len(leaders) == 1 else ''}, {name} is behind"
    candidates = verdict["verdict"].split(": ", 1)[-1].split(" or ")  # "cannot tell: Keras or PyTorch"
    if name in candidates:
        return f"cannot tell: resampling the bugs moves the verdict across the margin ({', '.join(candidates)})"
    return f"does not hold: {name} is behind {' or '.join(candidates)} (which of them leads cannot be told)"


def debugging_verdict(result: dict, verdict: dict | None = None) -> str:
    """The verdict on the 2019 claim, every sentence computed from the judge's dict (`message_verdict`)."""
    _check_result(result)
    verdict = message_verdict(result) if verdict is None else check_dict("verdict", verdict)
    missing = [k for k in ("verdict", "leaders", "decided", "evidence", "rule", "comparisons") if k not in verdict]
    if missing:
        raise ValueError(f"verdict lacks {missing}: pass what debug_report.message_verdict returns")
    ended = "; ".join(f"{n} {r['loud_raised']} exception(s), {r['loud_right']} right result(s), "
                      f"{r['loud_wrong']} silent wrong result(s)" for n, r in result.items())
    found = "; ".join(f"{n} {len(r['silent_flagged'])} of {r['silent_planted']}" for n, r in result.items())
    whys = "".join(f"  - {why}\n" for why in verdict["comparisons"])
    how = "decided" if verdict["decided"] else "not decided: resampling the bugs moves it across the margin"
    return (f"Loud bugs: {ended}.\nMessages ({verdict['evidence']}): {verdict['verdict']} ({how}).\n{whys}"
            f"  Rule: {verdict['rule']}.\nSilent bugs flagged by the checks: {found}.\n"
            f"Against the 2019 claim that {CLAIM} is easier to debug: {_claim(verdict)}.")


def loss_figure(runs: dict, bug: str = "shuffled_labels", classes: int = 10):
    """Loss per step of the fixed run (solid) and of `bug`'s run (dashed) in each framework, with chance level.

    Args:
        runs: {framework id: {None: fixed run, bug: buggy run}}; a run is a bugs.Run or the
            debugging.Capture of `bugs.train` holding one.
        bug: the silent bug to draw (one of bugs.SILENT_BUGS).
        classes: number of classes; chance level is ln(classes), the loss of a uniform guess.

    Returns:
        (figure, axes) from utils.plots.figure.
    """
    check_dict("runs", runs)
    check_choice("bug", bug, bugs.SILENT_BUGS)
    check_int("classes", classes, minimum=2)
    if not runs:
        raise ValueError("runs is empty: give at least one framework")
    curves = {}
    for fw, per in runs.items():
        check_choice("runs key", fw, COMPARED_IDS)
        check_dict(f"runs[{fw!r}]", per)
        for key in (None, bug):
            if key not in per:
                raise ValueError(f"runs[{fw!r}] lacks the {'fixed (None)' if key is None else repr(key)} run")
            run = getattr(per[key], "value", per[key])
            if not isinstance(run, bugs.Run):
                raise TypeError(f"runs[{fw!r}][{key!r}] must be a bugs.Run (or its Capture), got "
                                f"{type(per[key]).__name__}")
            curves[fw, key] = run.losses
    fig, ax = plots.figure(f"Loss per step: the fixed code against the {bug.replace('_', ' ')} bug",
                           xlabel="training step (one batch of 32 digits)", ylabel="cross-entropy loss (nats)")
    for fw in runs:
        name = framework(fw).name
        for key, style, label in ((None, "-", "fixed"), (bug, "--", bug.replace("_", " "))):
            losses = curves[fw, key]
            ax.plot(range(1, len(losses) + 1), losses, style, color=plots.color(name), label=f"{name}, {label}")
    chance = np.log(classes)
    ax.axhline(chance, color="black", linestyle=":", label=f"chance level ln({classes}) = {chance:.2f}")
    ax.set_ylim(bottom=0)
    ax.legend(ncol=2, fontsize=8, loc="lower left")
    return fig, ax


# ---- exercise checks: one line "Exercise N: ...", never an exception whatever the learner passes ---

def check_keras_evaluate(name: str, func):
    """Exercise: a Keras `evaluate(model, x)` giving the model's inference outputs on every call (checked
    twice on one batch of a model with dropout). Prints one line; returns an exercises.Verdict."""
    check_str("name", name)
    return _guarded(name, lambda: _why_keras_evaluate(func))


def check_tf_loss(name: str, func):
    """Exercise: a TensorFlow `loss_fn(logits, labels)`, the mean cross-entropy of logits. Prints one line."""
    check_str("name", name)
    return _guarded(name, lambda: _why_tf_loss(func))


def check_torch_step(name: str, answer):
    """Exercise: {"check": which check flags the planted bug, "step": a fixed train_step(model, opt, x, y)}.
    The check plants the bug itself (bugs.train("torch", "accumulate")), runs every check on it, then
    compares the weights after 5 steps of the learner's step with a correct SGD step's. Prints one
    line; returns an exercises.Verdict.
    """
    check_str("name", name)
    return _guarded(name, lambda: _why_torch_step(answer))


def _guarded(name, why):
    try:
        reason, hint = why()
    except Exception as err:  # the learner's answer may be anything: explain, never crash
        reason, hint = f"could not check the answer ({_error_line(err)})", ""
    return report(name, reason, hint if reason else "")


def _error_line(err) -> str:
    return f"{type(err).__name__}: {debugging.headline(debugging.clean(str(err)))[:120]}"


def _not_a_function(func, where: str = "") -> str | None:
    if func is Ellipsis or func is None:
        return f"define the function (replace the `...`{where}) and run the cell again"
    if not callable(func):
        return f"expected a function{where}, got {type(func).__name__}"
    if getattr(func, "__module__", None) in (__name__, bugs.__name__, debugging.__name__):
        return (f"{getattr(func, '__name__', 'that')} is one of the series' own helpers (it computes the "
                f"answer or checks it): write your own function")
    return None


def _why_keras_evaluate(func):
    reason = _not_a_function(func)
    if reason:
        return reason, ""
    import keras

    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dropout(bugs.DROPOUT), keras.layers.Dense(10)])
    x = data.load("digits").x_test[:64]
    try:
        first, second = (np.asarray(keras.ops.convert_to_numpy(func(model, x)), dtype=np.float32)
                         for _ in range(2))
    except Exception as err:
        return f"calling it raised {_error_line(err)}", ""
    reference = keras.ops.convert_to_numpy(model(x, training=False))
    if first.shape != reference.shape or second.shape != reference.shape:
        return f"it returned shape {first.shape}, the model's outputs have shape {reference.shape}", ""
    if debugging.repeatability_check(first, second).flagged:
        return ("the outputs change from call to call: dropout is still in training mode",
                "call the model with training=False (or use model.predict)")
    if not np.allclose(first, reference, atol=1e-5):
        return "the outputs are repeatable but are not the model's inference outputs", "return the model's outputs"
    return None, ""


def _why_tf_loss(func):
    reason = _not_a_function(func)
    if reason:
        return reason, ""
    import tensorflow as tf

    rng = np.random.default_rng(4)
    logits = tf.constant(rng.normal(0, 3, (16, 10)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 10, 16))
    want = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)))
    twice = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.nn.softmax(logits))))
    try:
        got = float(np.asarray(func(logits, labels)))
    except Exception as err:
        return f"calling it raised {_error_line(err)} (it must return one number, the mean loss)", ""
    hint = "sparse_softmax_cross_entropy_with_logits takes the raw logits"
    if np.isclose(got, twice, rtol=1e-5):
        return "the loss still applies a softmax before a loss that expects logits (a double softmax)", hint
    if not np.isclose(got, want, rtol=1e-5):
        return f"the loss is {got:.4f} on a test batch, not the mean cross-entropy of the logits", hint
    return None, ""


def _why_torch_step(answer):
    if not isinstance(answer, dict) or set(answer) != {"check", "step"}:
        return 'answer with a dict {"check": ..., "step": ...}', ""
    chosen = answer["check"]
    if chosen is Ellipsis or chosen is None:
        return 'replace the `...` after "check" with the name of a check', f"one of {list(CHECK_NAMES)}"
    if isinstance(chosen, debugging.Finding):
        return ("that is a Finding computed by the series' checks: decide without running them, and answer "
                "with the check's name"), f"one of {list(CHECK_NAMES)}"
    reason = not_a_choice(chosen, CHECK_NAMES, loose=False, where='after "check"')
    if reason:
        return reason, ""
    if chosen not in _flagged_on_accumulate():
        return (f"the {chosen!r} check does not flag this bug",
                "what happens to each parameter's .grad when nothing clears it between steps?")
    reason = _not_a_function(answer["step"], ' after "step"')
    if reason:
        return reason, ""
    import torch

    ds = data.load("digits")
    params = []
    for step in (answer["step"], _reference_step):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=bugs.LR)
        try:
            for i in range(5):
                step(model, optimizer, torch.from_numpy(ds.x_train[i * 32:(i + 1) * 32]),
                     torch.from_numpy(ds.y_train[i * 32:(i + 1) * 32]))
        except Exception as err:
            return f"calling your step raised {_error_line(err)}", ""
        params.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    if not torch.allclose(params[0], params[1], atol=1e-6):
        return "after 5 steps the weights differ from a correct SGD step's", "clear the old gradients before backward()"
    return None, ""


@functools.cache
def _flagged_on_accumulate() -> frozenset:
    """The checks that flag the planted bug (bugs.train("torch", "accumulate")), run once per kernel."""
    run = bugs.train("torch", "accumulate")
    return frozenset(f.check for f in (bugs.detect(b, run) for b in bugs.SILENT_BUGS) if f.flagged)


def _reference_step(model, optimizer, x, y):
    import torch

    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()


# ---- the cost of the eager switch -----------------------------------------------------------------

def eager_cost(steps: int = 30) -> dict:
    """Milliseconds per training step (median of `steps`) of the MLP, compiled and eager, Keras and TF."""
    check_int("steps", steps, minimum=3)
    import tensorflow as tf

    from utils import models

    x, y = bugs.batch()
    out = {}
    for label, eager in (("compiled", False), ("eager", True)):
        keras_step = training.keras_step(models.keras_model("mlp", models.init_weights("mlp")), "sgd", bugs.LR,
                                         mode="eager" if eager else "graph")
        out[f"Keras {label}"] = _median_ms(lambda s=keras_step: s(x, y), steps)
        tf.config.run_functions_eagerly(eager)
        try:
            model = models.tf_model("mlp", models.init_weights("mlp"))
            step = training.tensorflow_step(model, "sgd", bugs.LR, mode="graph")
            out[f"TensorFlow {label}"] = _median_ms(lambda s=step: s(x, y), steps)
        finally:
            tf.config.run_functions_eagerly(False)
    return out


def _median_ms(func, steps) -> float:
    import time

    func()  # warm-up: tracing
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return round(1000 * float(np.median(times)), 2)
