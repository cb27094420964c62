"""The checkpoints inside each lesson: a prediction, checked against an experiment run when the check runs.

Used by the checkpoint exercises of notebooks 00-04, 06 and 07 (08's checkpoint uses `exercises.check`).

    checkpoint_answer = "twice the gradient"
    check_prediction("checkpoint: a second backward()", checkpoint_answer, second_backward, SECOND_BACKWARD)

Each experiment below is small (well under a second) and returns one of its question's choices (or a
number); `check_prediction` runs it only once the learner has answered, and words a wrong prediction with
`utils.exercises`, never naming the right one.
"""

from __future__ import annotations

import math

from utils import exercises
from utils.checks import check_str

SECOND_BACKWARD = ("the same", "twice the gradient", "zero")
LAYOUTS = ("(in, out)", "(out, in)")
LOG_ZERO = ("zero", "minus infinity", "not a number")
PER_EXAMPLE = ("shorter", "about the same", "longer")
LEADER = ("the same leader", "another leader")


class CannotTell(ValueError):
    """The run an experiment reads cannot decide its question (inside the noise): no prediction can be checked."""


def check_prediction(name: str, answer, outcome, choices=None, *, args=(), why: str | None = None, hint: str = "",
                     second_hint: str | None = None) -> exercises.Verdict:
    """Check a prediction against `outcome(*args)`, the experiment run now; print and return the Verdict.

    Args:
        name: the checkpoint's name ("checkpoint: a second backward()").
        answer: the learner's prediction: one of `choices` (a word), or a number when `choices` is None.
        outcome: a function that runs the experiment and returns the right choice (or number); a learner's
            cell that calls it is told so.
        why: how to think again about a wrong prediction (never the answer).
    """
    if not callable(outcome):
        raise TypeError(f"outcome must be a function that runs the experiment, got {type(outcome).__name__}")
    if choices is not None and not all(isinstance(c, str) for c in choices):
        raise TypeError(f"choices must be words (strings), got {choices!r:.80}")
    check_str("name", name)
    named = getattr(outcome, "__name__", "")
    reason = exercises.forbidden_reason((named,) if named.isidentifier() else ())
    if reason is None:
        reason = exercises.not_a_choice(answer, choices) if choices is not None else None
    if reason is None:
        try:
            expected = outcome(*args)
        except CannotTell as err:  # a noisy run: neither right nor wrong
            reason = f"{err}, so no prediction can be checked on it: rerun the measurement with nothing else running"
        except Exception as err:  # the experiment failed: say so, never a traceback
            reason = f"the experiment behind this checkpoint could not run here ({type(err).__name__}); ask for help"
        else:
            reason = _wrong(answer, expected, choices, why)
    return exercises.report(name, reason, hint, second_hint)


def _wrong(answer, expected, choices, why) -> str | None:
    if choices is not None:
        return exercises.explain_choice(answer, expected, choices, why=why)
    reason = exercises.explain(answer, expected)
    if reason and why and reason.startswith("that is not the right value"):
        return f"{exercises._describe(answer)} is {why}"
    return reason


# ---- the experiments, one per checkpoint -------------------------------------------------------------------------

def second_backward() -> str:
    """Notebook 00: what `x.grad` holds after a second `backward()` without clearing it (a SECOND_BACKWARD word)."""
    import torch

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**2 * torch.sin(x)).sum().backward()
    once = x.grad.clone()
    (x**2 * torch.sin(x)).sum().backward()
    if torch.allclose(x.grad, once):
        return "the same"
    return "twice the gradient" if torch.allclose(x.grad, 2 * once) else "zero"


def linear_layout() -> str:
    """Notebook 01: the layout of `nn.Linear(inputs, outputs).weight` (a LAYOUTS word)."""
    from torch import nn

    return "(out, in)" if tuple(nn.Linear(5, 3).weight.shape) == (3, 5) else "(in, out)"


def traced_python_runs(calls: int = 3) -> int:
    """Notebook 03: how often a `tf.function`'s Python body runs for `calls` float32 (2, 4) tensors."""
    import logging

    import tensorflow as tf

    from utils.checks import check_int

    check_int("calls", calls, minimum=1)
    runs, logger = [0], logging.getLogger("tensorflow")

    def body(x):
        runs[0] += 1
        return x * 2.0

    traced, level = tf.function(body), logger.level
    logger.setLevel(logging.ERROR)  # no "retracing" warning about the fresh functions the checks make
    try:
        for i in range(calls):
            traced(tf.fill((2, 4), float(i)))
    finally:
        logger.setLevel(level)
    return runs[0]


def zero_times_log_zero() -> str:
    """Notebook 04: float32 `0.0 * log(0.0)` in TensorFlow, as a LOG_ZERO word."""
    import tensorflow as tf

    value = float((tf.constant(0.0) * tf.math.log(tf.constant(0.0))).numpy())
    return "not a number" if math.isnan(value) else "minus infinity" if value == -math.inf else "zero"


def per_example_time(record: dict, config: str, workload: str, small: int, large: int) -> str:
    """Notebook 02: is `config`'s time per example at batch `large` shorter than at `small` (a PER_EXAMPLE word)?

    Each round's step time over its batch size, judged by the series' judge (`verdicts.compare_repeats`,
    paired by round); "cannot tell" reads as "about the same" only when the judge says so.
    """
    from utils import verdicts

    cells = {r["batch"]: r for r in record["results"] if (r["config"], r["workload"]) == (config, workload)
             and r["batch"] in (small, large) and r.get("samples_s")}
    if set(cells) != {small, large}:
        raise ValueError(f"{config} has no time at batch {small} and {large} in this run")
    per = {b: [s / b for s in c["samples_s"]] for b, c in cells.items()}
    judged = verdicts.compare_repeats("large", per[large], "small", per[small],
                                      rounds=(cells[large]["rounds"], cells[small]["rounds"]))
    if judged.word == "cannot tell":
        raise CannotTell(f"this run cannot tell {config}'s time per example at batch {large} from batch {small}")
    return "about the same" if judged.word == "about the same" else "shorter" if judged.leader == "large" else "longer"


def leader_for_weights(table: dict, first: dict, second: dict) -> str:
    """Notebook 06: does the popularity leader for weights `second` differ from that for `first` (a LEADER word)?"""
    from utils import popularity

    same = popularity.weighted_ranking(table, first)[0] == popularity.weighted_ranking(table, second)[0]
    return LEADER[0] if same else LEADER[1]


def leader_when_scaled(card, weights: dict, factor: float) -> str:
    """Notebook 07: does the recommender's leader change when every weight is multiplied by `factor` (a LEADER word)?"""
    from utils import recommender

    scaled = {k: v * factor for k, v in weights.items()}
    same = recommender.recommend(weights, card)["leader"] == recommender.recommend(scaled, card)["leader"]
    return LEADER[0] if same else LEADER[1]

