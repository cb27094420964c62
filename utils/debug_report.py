"""Tables, summary and verdict for the bug catalogue, and the checks of notebook 04's exercises.

Used by notebook 04.

    captures = {bug: {fw: debugging.capture(bugs.LOUD[bug][fw]) for fw in ...} for bug in bugs.LOUD_BUGS}
    print(debug_report.loud_table(captures))
    print(debug_report.verdict(debug_report.summary(captures, findings)))

The verdict's rule, stated once: two frameworks' error messages differ when their mean scores differ
by at least `MARGIN` points (of 4); closer than that, it says "cannot tell".
"""

from __future__ import annotations

import numpy as np

from utils import bugs, debugging
from utils.checks import check_dict, check_int
from utils.exercises import _report
from utils.frameworks import COMPARED, framework
from utils.tables import text_table

MARGIN = 1.0
CHECK_NAMES = ("loss curve", "gradient norm", "repeatable evaluation", "logits, not probabilities")


def loud_table(captures: dict) -> str:
    """One row per loud bug and framework: what the learner sees and its score on the four rules."""
    check_dict("captures", captures)
    rows = []
    for bug, per_framework in captures.items():
        for fw, seen in per_framework.items():
            s = debugging.score(seen, *bugs.SCORING[bug])
            points = ("-", "-", "-", "-") if s is None else (s.culprit, s.both_sides, s.your_line, s.lines)
            rows.append({"bug": bug, "framework": framework(fw).name, "what the learner sees": seen.summary(60),
                         "culprit": points[0], "sides": points[1], "line": points[2], "lines": points[3],
                         "score": "-" if s is None else f"{s.total}/4"})
    return text_table(rows)


def silent_table(findings: dict) -> str:
    """One row per silent bug and framework: the check's verdict on the buggy and on the fixed run."""
    check_dict("findings", findings)
    rows = []
    for bug, per_framework in findings.items():
        for fw, (buggy, fixed) in per_framework.items():
            mark = {True: "flagged", False: "passed", None: "-"}
            rows.append({"bug": bug, "framework": framework(fw).name, "check": buggy.check,
                         "buggy": mark[buggy.flagged], "fixed": mark[fixed.flagged],
                         "why (buggy run)": bugs.NOT_PLANTABLE.get((bug, fw), buggy.reason)[:58]})
    return text_table(rows)


def summary(captures: dict, findings: dict) -> dict:
    """Per framework: loud bugs raised, their mean score, bugs absorbed, silent bugs planted and flagged."""
    check_dict("captures", captures)
    check_dict("findings", findings)
    out = {}
    for f in COMPARED:
        scores = [debugging.score(per[f.id], *bugs.SCORING[bug]) for bug, per in captures.items()]
        raised = [s.total for s in scores if s is not None]
        planted = [(b, pair) for b, per in findings.items() for fw, pair in per.items() if fw == f.id]
        out[f.name] = {
            "loud_raised": len(raised), "loud_absorbed": len(scores) - len(raised),
            "mean_score": round(float(np.mean(raised)), 2) if raised else None,
            "silent_planted": sum(pair[0].flagged is not None for _, pair in planted),
            "silent_flagged": [b for b, pair in planted if pair[0].flagged and pair[1].flagged is False],
        }
    return out


def summary_table(result: dict) -> str:
    """The summary as a table, one row per framework."""
    check_dict("result", result)
    return text_table([{"framework": name, "loud bugs that raised": r["loud_raised"],
                        "absorbed": r["loud_absorbed"], "mean message score (of 4)": r["mean_score"],
                        "silent bugs flagged / planted": f"{len(r['silent_flagged'])}/{r['silent_planted']}"}
                       for name, r in result.items()])


def verdict(result: dict) -> str:
    """The verdict on the 2019 claim from the summary, with the MARGIN rule."""
    check_dict("result", result)
    means = {name: r["mean_score"] for name, r in result.items() if r["mean_score"] is not None}
    best = max(means, key=means.get)
    worst = min(means, key=means.get)
    if means[best] - means[worst] < MARGIN:
        messages = (f"cannot tell which framework's error messages are better: mean scores "
                    f"{', '.join(f'{n} {m:.2f}' for n, m in means.items())} lie within {MARGIN} point")
    else:
        messages = (f"{best}'s messages scored best ({means[best]:.2f} of 4) and {worst}'s worst "
                    f"({means[worst]:.2f}); the gap is at least {MARGIN} point")
    found = "; ".join(f"{n} {len(r['silent_flagged'])} of {r['silent_planted']}" for n, r in result.items())
    absorbed = {n: r["loud_absorbed"] for n, r in result.items()}
    most = max(absorbed.values())
    leaders = [n for n, a in absorbed.items() if a == most]
    parts = [f"every framework absorbed {most} loud bug(s) without an exception" if len(leaders) == len(absorbed)
             else f"{' and '.join(leaders)} absorbed the most loud bugs ({most})"]
    for name, claim in (("TensorFlow", "the worst"), ("PyTorch", "the best")):
        ranked = worst if claim == "the worst" else best
        clear = means[best] - means[worst] >= MARGIN and ranked == name
        parts.append(f"{name}'s messages {'are' if clear else 'are not measurably'} {claim}")
    return (f"Loud bugs: {messages}.\nSilent bugs flagged by the checks: {found}.\n"
            f"Against the 2019 claim: {'; '.join(parts)}.")


# ---- exercise checks ------------------------------------------------------------------------------

def check_keras_evaluate(name: str, func):
    """Exercise: a Keras `evaluate(model, x)` that must give the same outputs on every call."""
    import keras

    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dropout(bugs.DROPOUT), keras.layers.Dense(10)])
    x = bugs._digits().x_test[:64]
    try:
        first, second = (np.asarray(keras.ops.convert_to_numpy(func(model, x))) for _ in range(2))
    except Exception as err:  # the learner's code: explain, never crash
        return _report(name, _failed(func, err), "")
    found = debugging.repeatability_check(first, second) if first.shape == second.shape else None
    reference = keras.ops.convert_to_numpy(model(x, training=False))
    if found is None or found.flagged:
        reason = "the outputs change from call to call: dropout is still in training mode"
    elif first.shape != reference.shape or not np.allclose(first, reference, atol=1e-5):
        reason = "the outputs are repeatable but not the model's inference outputs"
    else:
        reason = None
    return _report(name, reason, "call the model with training=False (or use model.predict)")


def check_tf_loss(name: str, func):
    """Exercise: a TensorFlow `loss_fn(logits, labels)` that must be the mean cross-entropy of logits."""
    import tensorflow as tf

    rng = np.random.default_rng(4)
    logits = tf.constant(rng.normal(0, 3, (16, 10)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 10, 16))
    want = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)))
    twice = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.nn.softmax(logits))))
    try:
        got = float(func(logits, labels))
    except Exception as err:
        return _report(name, _failed(func, err), "")
    if np.isclose(got, twice, rtol=1e-5):
        reason = "the loss still applies a softmax before a loss that expects logits (a double softmax)"
    elif not np.isclose(got, want, rtol=1e-5):
        reason = f"the loss is {got:.4f} on a test batch, not the mean cross-entropy of the logits"
    else:
        reason = None
    return _report(name, reason, "sparse_softmax_cross_entropy_with_logits takes the raw logits")


def check_torch_step(name: str, answer):
    """Exercise: {"check": which check flags the planted bug, "step": a fixed train_step(model, opt, x, y)}."""
    import torch

    if not isinstance(answer, dict) or set(answer) != {"check", "step"}:
        return _report(name, 'answer with a dict {"check": ..., "step": ...}', "")
    flagged = [c for c in (bugs.detect(b, bugs.train("torch", "accumulate")) for b in bugs.SILENT_BUGS) if c.flagged]
    if answer["check"] not in CHECK_NAMES:
        return _report(name, f"choose the check from {list(CHECK_NAMES)}", "")
    if answer["check"] not in {c.check for c in flagged}:
        return _report(name, f"the {answer['check']!r} check does not flag this bug", "look at the gradient norms")
    ds = bugs._digits()
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
            return _report(name, _failed(step, err), "")
        params.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    if not torch.allclose(params[0], params[1], atol=1e-6):
        return _report(name, "after 5 steps the weights differ from a correct SGD step's",
                       "clear the old gradients before loss.backward()")
    return _report(name, None, "")


def _reference_step(model, optimizer, x, y):
    import torch

    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()


def _failed(func, err) -> str:
    if func is Ellipsis or func is None or not callable(func):
        return "define the function (replace the `...`) and run the cell again"
    return f"calling it raised {type(err).__name__}: {debugging.headline(debugging.clean(str(err)))[:120]}"


def eager_cost(steps: int = 30) -> dict:
    """Milliseconds per training step (median of `steps`) of the MLP, compiled and eager, Keras and TF."""
    import keras
    import tensorflow as tf

    from utils import models

    check_int("steps", steps, minimum=3)
    x, y = bugs._batch()
    out = {}
    for label, eager in (("compiled", False), ("eager", True)):
        model = models.keras_model("mlp", models.init_weights("mlp"))
        model.compile(optimizer=keras.optimizers.SGD(bugs.LR),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), run_eagerly=eager)
        out[f"Keras {label}"] = _median_ms(lambda m=model: m.train_on_batch(x, y), steps)
        tf.config.run_functions_eagerly(eager)
        try:
            model = models.tf_model("mlp", models.init_weights("mlp"))
            step = bugs.tf_step_function(model)
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
