"""The recommender: a learner's priorities, weighed against the scorecard, give a ranking with reasons.

Used by notebook 07. `recommend` is a plain, deterministic function: each priority's score for a
framework is the mean of that framework's scores on the scorecard rows of that priority; the total is
the weighted mean over the priorities that have a score (a contended speed run has none). Every
reason names the scorecard row it comes from, and a priority with no measured row is listed as not
counted (never guessed). The ipywidgets
widget only calls `recommend`; the exercise checks compute their answers from the learner's scorecard.

    from utils import recommender, scorecard
    card = scorecard.build_scorecard()
    print(recommender.recommendation_text(recommender.recommend({"debugging": 2, "speed": 1}, card)))
"""

from __future__ import annotations

from utils.checks import check_dict, check_number
from utils.exercises import explain, explain_choice, report
from utils.scorecard import CLOSE, CONTENDED, NAMES, PRIORITIES, _check_card, build_scorecard


def _check_weights(weights, name) -> dict:
    check_dict(name, weights)
    for key, value in weights.items():
        if key not in PRIORITIES:
            raise ValueError(f"{name}: unknown priority {key!r}; choose from {list(PRIORITIES)}")
        check_number(f"{name}[{key!r}]", value, minimum=0)
    if not any(weights.values()):
        raise ValueError(f"{name}: at least one priority needs a weight above 0")
    return weights


def recommend(weights, card) -> dict:
    """Rank the frameworks for `weights` over the scorecard `card`, best first, each with its reasons.

    Args:
        weights: {priority: weight >= 0}, priorities from PRIORITIES; those left out weigh 0.
        card: the rows `utils.scorecard.build_scorecard` returns.
    Returns:
        {"ranking": [{"framework", "score", "reasons"}...] best first (ties in the series' order),
         "not_counted": [why each weighted priority without a score was left out],
         "leader": a framework name, or "cannot tell: A or B" when totals lie closer than CLOSE}.
    Raises:
        TypeError/ValueError naming `weights` or `card`.
    """
    _check_weights(weights, "weights")
    _check_card(card)
    totals = dict.fromkeys(NAMES, 0.0)
    reasons = {n: [] for n in NAMES}
    used, not_counted = 0.0, []
    for priority in PRIORITIES:
        weight = float(weights.get(priority, 0))
        if weight == 0:
            continue
        rows = [r for r in card if r["priority"] == priority and r["scores"] is not None and r["verdict"] != CONTENDED]
        if not rows:
            missing = [f"{r['scenario']}: {r['verdict']}" for r in card if r["priority"] == priority]
            not_counted.append(f"{priority} (weight {weight:g}): no score ({'; '.join(missing) or 'no row'})")
            continue
        used += weight
        for name in NAMES:
            mean = sum(r["scores"][name] for r in rows) / len(rows)
            totals[name] += weight * mean
            cells = ", ".join(f"{r['scenario']} {r['scores'][name]:.2f} [{r['link'] or 'sources'}]" for r in rows)
            reasons[name].append(f"{priority} (weight {weight:g}): {mean:.2f} from {cells}")
    if used == 0:
        return {"ranking": [{"framework": n, "score": None, "reasons": []} for n in NAMES],
                "not_counted": not_counted, "leader": "cannot tell: no weighted priority has a score"}
    order = sorted(NAMES, key=lambda n: (-round(totals[n] / used, 9), NAMES.index(n)))
    ranking = [{"framework": n, "score": round(totals[n] / used, 4), "reasons": reasons[n]} for n in order]
    near = [r["framework"] for r in ranking if ranking[0]["score"] - r["score"] < CLOSE - 1e-9]
    leader = near[0] if len(near) == 1 else f"cannot tell: {' or '.join(near)}"
    return {"ranking": ranking, "not_counted": not_counted, "leader": leader}


def recommendation_text(recommendation) -> str:
    """The recommendation as lines a learner can read: leader, then each framework's score and reasons."""
    check_dict("recommendation", recommendation)
    if not {"ranking", "not_counted", "leader"} <= set(recommendation):
        raise ValueError("recommendation must be what recommend() returns")
    lines = [f"Recommendation: {recommendation['leader']}"]
    for place, entry in enumerate(recommendation["ranking"], 1):
        score = "no score" if entry["score"] is None else f"{entry['score']:.2f}"
        lines.append(f"{place}. {entry['framework']} {score}")
        lines += [f"     {reason}" for reason in entry["reasons"]]
    lines += [f"Not counted: {why}" for why in recommendation["not_counted"]]
    return "\n".join(lines)


def recommender_widget(card):
    """Sliders for each priority's weight; every change calls `recommend` and prints its text."""
    import ipywidgets as widgets

    _check_card(card)
    sliders = {p: widgets.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.5, description=p,
                                      style={"description_width": "initial"}) for p in PRIORITIES}
    out = widgets.Output()

    def show(_=None):
        out.clear_output()
        with out:
            try:
                print(recommendation_text(recommend({p: s.value for p, s in sliders.items()}, card)))
            except ValueError as err:  # e.g. every weight at 0
                print(f"Cannot recommend: {err}")

    for slider in sliders.values():
        slider.observe(show, names="value")
    show()
    return widgets.VBox([*sliders.values(), out])


_CALLED = set()  # the exercise helpers a learner has called (their answers are then not the learner's own)


def weight_where_leader_changes(base, priority, card, steps=None):
    """The smallest weight (0, 0.5, 1, ... up to 10) of `priority`, added to `base`, that changes the leader.

    Returns None when the leader never changes in that range. `steps` defaults to 0.5-wide steps.
    """
    _CALLED.add("weight_where_leader_changes")
    return _first_change(base, priority, card, steps)


def _first_change(base, priority, card, steps):
    _check_weights(base, "base")
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {list(PRIORITIES)}, got {priority!r}")
    start = recommend(base, card)["leader"]
    for weight in steps or [k / 2 for k in range(1, 21)]:
        if recommend({**base, priority: weight}, card)["leader"] != start:
            return weight
    return None


def speed_record_verdict(ms_per_step) -> str:
    """The speed rows' verdict if notebook 02 had recorded `ms_per_step` ({framework: ms}) on some machine."""
    import tempfile
    from pathlib import Path

    from utils import results

    check_dict("ms_per_step", ms_per_step)
    with tempfile.TemporaryDirectory() as folder:
        results.record("02_speed", {"ms_per_step": ms_per_step}, folder=Path(folder))
        rows = build_scorecard(results_folder=Path(folder))
    return next(r["verdict"] for r in rows if r["scenario"] == "high performance")


EXERCISE_1 = {"Keras": 1.2, "TensorFlow": 1.0, "PyTorch": 0.95}  # the record exercise 1 asks about
EXERCISE_2 = ({"prototyping": 1.0}, "debugging")  # the base weights and the priority exercise 2 raises


def scorecard_exercise(number, answer, card) -> object:
    """Check notebook 07's exercise `number` (1 or 2); print one line, never raise for any answer."""
    if number not in (1, 2) or isinstance(number, bool):
        raise ValueError(f"number must be 1 or 2, got {number!r}")
    _check_card(card)
    if number == 1:
        verdict = speed_record_verdict(EXERCISE_1)
        if isinstance(answer, str) and answer == verdict and ":" in verdict:
            return report("1", "that is speed_record_verdict's output: predict it yourself, as a framework name "
                          "or 'cannot tell'")
        expected = "cannot tell" if verdict.startswith("cannot tell") else verdict
        reason = explain_choice(answer, expected, (*NAMES, "cannot tell"),
                                why="not what that record gives: compare the gap between the two fastest with "
                                    "the margin")
        return report("1", reason, "look at how the table above turns notebook 02's milliseconds into the high "
                      "performance row's scores, and at the margin its verdict uses",
                      "write the three scores down, then the leader's score minus each other one's")
    expected = _first_change(*EXERCISE_2, card, None)
    hint = "try the weights with recommender.recommend and watch the 'leader' line"
    if isinstance(answer, dict):
        return report("2", "answer with one number, the weight, not a recommendation", hint)
    if "weight_where_leader_changes" in _CALLED and isinstance(answer, int | float) and answer == expected:
        return report("2", "weight_where_leader_changes computed that for you: find the weight with "
                      "recommender.recommend instead, and say why it changes there", hint)
    return report("2", explain(answer, expected), hint, f"note the leader with {EXERCISE_2[1]}'s weight at 0, then "
                  "raise that weight in the exercise's steps, smallest first, until the leader differs")
