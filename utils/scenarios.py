"""A scenario's verdict across the three frameworks, built on the series' one judge (`utils.verdicts`).

Used by every measuring notebook (01-06, 08) to record, in its results file, the verdict of each scenario of
notebook 07's scorecard, and by notebook 07, which prints it as recorded. The verdict is the best
framework's comparison with each other one, by the judge's rule for the evidence (no rule or margin is
defined here):

    from utils import scenarios
    scenarios.counts_scenario({"Keras": 9, "TensorFlow": 23, "PyTorch": 21}, "lines of code")["verdict"]  # 'Keras'
    scenarios.items_scenario({"Keras": [4, 3, 4], ...}, "message score", scale=4)
    scenarios.repeats_scenario({"Keras": [1.1, 1.2, 1.0], ...}, "ms per step", rounds={...})
"""

from __future__ import annotations

import math

import numpy as np

from utils.checks import check_dict, check_str
from utils.verdicts import (
    CLOSE,
    REPEAT_MARGIN,
    SCORE_MARGIN,
    compare_counts,
    compare_items,
    compare_repeats,
    positive_samples,
    positive_values,
    short_number,
)


def scenario_verdict(best: str, comparisons, scores: dict, evidence: str) -> dict:
    """One scenario's verdict across the frameworks, from `best`'s comparison with each other framework.

    Args:
        best: the framework with the best estimate.
        comparisons: one Verdict or RepeatVerdict per other framework, each between `best` and it.
        scores: {framework: share of the best, 0-1} (the figure's colour; only meaningful when decided).
        evidence: the numbers the comparisons used, in words.
    Returns:
        A JSON-able dict for results.record: "verdict" ("PyTorch", "Keras and PyTorch" for a measured tie,
        "all three", or "cannot tell: Keras, TensorFlow or PyTorch"), "leaders" (the best and those about the
        same), "contenders" (the leaders and those the judge cannot tell from the best), "decided", "scores",
        "evidence", "rule" and "comparisons" (each comparison's why). Notebook 07 prints it as it is.
    """
    check_str("best", best)
    check_dict("scores", scores)
    check_str("evidence", evidence)
    names = list(scores)
    if best not in names:
        raise ValueError(f"best {best!r} must be one of the scored frameworks {names}")
    tied, unsure = [best], []
    for c in comparisons:
        other = c.b if c.a == best else c.a
        if best not in (c.a, c.b) or other not in names:
            raise ValueError(f"each comparison must be between {best!r} and another of {names}, got {c.a!r} vs {c.b!r}")
        if c.word == "leads" and c.leader != best:
            raise ValueError(f"{c.leader} leads {best} ({c.why}): pass the framework with the best estimate as best")
        (tied if c.word == "about the same" else unsure if c.word == "cannot tell" else []).append(other)
    order = sorted(tied + unsure, key=names.index)
    if unsure:
        verdict = f"cannot tell: {', '.join(order[:-1])} or {order[-1]}"
    elif len(tied) == len(names) and len(names) > 2:
        verdict = "all three" if len(names) == 3 else "all"
    else:
        verdict = " and ".join(order)
    rules = sorted({getattr(c, "rule", None) or f"repeated measurements: a ratio within {c.margin:.0%} is "
                    "about the same, judged on its 95% interval" for c in comparisons})
    return {"verdict": verdict, "leaders": sorted(tied, key=names.index), "contenders": order, "decided": not unsure,
            "scores": {n: round(float(v), 3) for n, v in scores.items()}, "evidence": evidence,
            "rule": "; ".join(rules), "comparisons": [c.why for c in comparisons]}


def _other_leads(comparisons, best):
    """The framework that leads `best` in one of its comparisons, or None."""
    return next((c.leader for c in comparisons if c.word == "leads" and c.leader != best), None)


def counts_scenario(counts: dict, what: str, lower_is_better: bool = True, close: float = CLOSE) -> dict:
    """A scenario's verdict (`scenario_verdict`) from one exact count per framework, e.g. lines of code.

    Args:
        counts: {framework: count}, in the order the frameworks are shown.
        what: what was counted, e.g. "lines of code for the same classifier".
    """
    counts = positive_values(counts)
    check_str("what", what)
    best = (min if lower_is_better else max)(counts, key=counts.get)
    comparisons = [compare_counts(best, counts[best], n, counts[n], close, lower_is_better)
                   for n in counts if n != best]
    shares = {n: counts[best] / v if lower_is_better else v / counts[best] for n, v in counts.items()}
    return scenario_verdict(best, comparisons, shares,
                            f"{what}: " + ", ".join(f"{n} {short_number(v)}" for n, v in counts.items()))


def items_scenario(scores: dict, what: str, scale: float, higher_is_better: bool = True,
                   margin: float = SCORE_MARGIN) -> dict:
    """A scenario's verdict from each framework's scores on the same items (e.g. 04's bugs, 06's measures).

    Args:
        scores: {framework: [one score per item, the same items in the same order]}.
        scale: the score's full range (the margin is `margin` * scale).
    """
    check_dict("scores", scores)
    check_str("what", what)
    if len(scores) < 2:
        raise ValueError(f"scores must hold at least two frameworks, got {sorted(scores)}")
    means = {n: float(np.mean(np.asarray(v, dtype=float))) if len(v) else math.nan for n, v in scores.items()}
    best = (max if higher_is_better else min)(scores, key=lambda n: means[n] if means[n] == means[n] else -math.inf)

    def compare(winner):
        return [compare_items(winner, scores[winner], n, scores[n], scale, margin, higher_is_better)
                for n in scores if n != winner]

    comparisons = compare(best)
    top = max(abs(m) for m in means.values()) or 1.0
    shares = {n: (m / top if higher_is_better else (min(means.values()) / m if m else 1.0)) for n, m in means.items()}
    items = min(len(v) for v in scores.values())
    return scenario_verdict(best, comparisons, shares, f"{what}, mean over {items} items (0-{scale:g}): "
                            + ", ".join(f"{n} {m:.2f}" for n, m in means.items()))


def repeats_scenario(samples: dict, what: str, rounds: dict | None = None, lower_is_better: bool = True,
                     margin: float = REPEAT_MARGIN, unit: str = "", labels: dict | None = None) -> dict:
    """A scenario's verdict from repeated measurements per framework (times, throughputs), by `compare_repeats`.

    Args:
        samples: {framework: [positive measurements]}.
        rounds: {framework: [the round of each sample]}: pairs the frameworks' samples by round.
        unit: printed after each median ("ms"); labels: {framework: what was measured, e.g. "Keras/JAX"}.
    """
    check_dict("samples", samples)
    check_str("what", what)
    if len(samples) < 2:
        raise ValueError(f"samples must hold at least two frameworks, got {sorted(samples)}")
    medians = {n: float(np.median(positive_samples(f"samples[{n!r}]", v))) for n, v in samples.items()}
    best = (min if lower_is_better else max)(samples, key=medians.get)
    for _ in samples:  # the median's best can lose the paired comparison: then the winner is judged instead
        comparisons = [compare_repeats(best, samples[best], n, samples[n],
                                       None if rounds is None else (rounds[best], rounds[n]), margin, lower_is_better)
                       for n in samples if n != best]
        winner = _other_leads(comparisons, best)
        if winner is None:
            break
        best = winner
    shares = {n: medians[best] / m if lower_is_better else m / medians[best] for n, m in medians.items()}
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a string such as 'ms' (or '' for none), got {type(unit).__name__}")
    labels, unit = labels or {}, f" {unit}" if unit else ""
    return scenario_verdict(best, comparisons, shares, f"{what}, median of the repeats: " + ", ".join(
        f"{n}{f' ({labels[n]})' if n in labels else ''} {m:.3g}{unit}" for n, m in medians.items()))


def scenario_line(scenario: str, verdict: dict | None) -> str:
    """A recorded scenario verdict as text: "flexibility: Keras and PyTorch", then one indented line per comparison."""
    check_str("scenario", scenario)
    if verdict is None:
        return f"{scenario}: not measured on this run"
    check_dict("verdict", verdict)
    return "\n".join([f"{scenario}: {verdict['verdict']}", *(f"  {why}" for why in verdict["comparisons"])])
