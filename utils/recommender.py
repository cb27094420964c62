"""The recommender: a learner's priorities, weighed against the scorecard, give a ranking with reasons.

Used by notebook 07. `recommend` is a plain, deterministic function: each priority's score for a
framework is the mean of that framework's scores on the scorecard rows of that priority; the total is
the weighted mean over the priorities that have a score. A row counts only when its recorded verdict is
decided (a "cannot tell" row is listed as not counted, never guessed); every reason names the row it comes
from, and whether that score is a measurement or a reading of sources. The ipywidgets widget only calls
`recommend`; the exercise checks compute their answers from the learner's scorecard.

    from utils import recommender, scorecard
    card = scorecard.build_scorecard()
    print(recommender.recommendation_text(recommender.recommend({"debugging": 2, "speed": 1}, card)))
"""

from __future__ import annotations

from utils.checks import check_dict, check_number
from utils.exercises import explain, explain_choice, report
from utils.scorecard import NAMES, PRIORITIES, _check_card, build_scorecard
from utils.verdicts import WEIGHTED_MARGIN


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
         "priorities": {priority: {"weight", "scores": {framework: mean score}}} for those counted,
         "not_counted": [why each weighted priority without a score was left out],
         "leader": a framework name, or "cannot tell: A or B" when totals lie closer than
         verdicts.WEIGHTED_MARGIN}. Rows whose verdict is "cannot tell" or not measured are not counted.
    Raises:
        TypeError/ValueError naming `weights` or `card`.
    """
    _check_weights(weights, "weights")
    _check_card(card)
    totals = dict.fromkeys(NAMES, 0.0)
    reasons, priorities = {n: [] for n in NAMES}, {}
    used, not_counted = 0.0, []
    for priority in PRIORITIES:
        weight = float(weights.get(priority, 0))
        if weight == 0:
            continue
        rows = [r for r in card if r["priority"] == priority and r["scores"] is not None and r["decided"]]
        left_out = [f"{r['scenario']}: {r['verdict']}" for r in card if r["priority"] == priority and r not in rows]
        if left_out:
            not_counted.append(f"{priority} (weight {weight:g}): {'; '.join(left_out)}")
        if not rows:
            continue
        used += weight
        priorities[priority] = {"weight": weight, "scores": {}}
        for name in NAMES:
            mean = sum(r["scores"][name] for r in rows) / len(rows)
            priorities[priority]["scores"][name] = round(mean, 4)
            totals[name] += weight * mean
            cells = ", ".join(f"{r['scenario']} {r['scores'][name]:.2f} "
                              f"[{'sources' if name in r['sourced'] else r['link']}]" for r in rows)
            reasons[name].append(f"{priority} (weight {weight:g}): {mean:.2f} from {cells}")
    if used == 0:
        return {"ranking": [{"framework": n, "score": None, "reasons": []} for n in NAMES], "priorities": {},
                "not_counted": not_counted, "leader": "cannot tell: no weighted priority has a score"}
    order = sorted(NAMES, key=lambda n: (-round(totals[n] / used, 9), NAMES.index(n)))
    ranking = [{"framework": n, "score": round(totals[n] / used, 4), "reasons": reasons[n]} for n in order]
    near = [r["framework"] for r in ranking if ranking[0]["score"] - r["score"] < WEIGHTED_MARGIN - 1e-9]
    leader = near[0] if len(near) == 1 else f"cannot tell: {' or '.join(near)}"
    return {"ranking": ranking, "priorities": priorities, "not_counted": not_counted, "leader": leader}


def _check_recommendation(recommendation) -> None:
    check_dict("recommendation", recommendation)
    if not {"ranking", "priorities", "not_counted", "leader"} <= set(recommendation):
        raise ValueError("recommendation must be what recommend() returns")


def recommendation_text(recommendation) -> str:
    """The recommendation as lines a learner can read: leader, then each framework's score and reasons."""
    _check_recommendation(recommendation)
    lines = [f"Recommendation: {recommendation['leader']}"]
    for place, entry in enumerate(recommendation["ranking"], 1):
        score = "no score" if entry["score"] is None else f"{entry['score']:.2f}"
        lines.append(f"{place}. {entry['framework']} {score}")
        lines += [f"     {reason}" for reason in entry["reasons"]]
    lines += [f"Not counted: {why}" for why in recommendation["not_counted"]]
    return "\n".join(lines)


def summary_text(recommendation) -> str:
    """The recommendation in a few lines: the leader, each total, one line per counted priority."""
    _check_recommendation(recommendation)
    lines = [f"Recommendation: {recommendation['leader']}   totals: " + ", ".join(
        f"{e['framework']} {'-' if e['score'] is None else format(e['score'], '.2f')}"
        for e in recommendation["ranking"])]
    lines += [f"  {p} (weight {v['weight']:g}): " + ", ".join(f"{n} {s:.2f}" for n, s in v["scores"].items())
              for p, v in recommendation["priorities"].items()]
    lines += [f"  not counted: {why}" for why in recommendation["not_counted"]]
    return "\n".join(lines)


def totals_figure(recommendation):
    """The weighted totals as a small bar chart (the leader's margin drawn as a band)."""
    from utils import plots

    _check_recommendation(recommendation)
    scored = [e for e in recommendation["ranking"] if e["score"] is not None]
    fig, ax = plots.figure(f"Recommendation: {recommendation['leader']}", xlabel="weighted score (0-1)",
                           ylabel="framework", figsize=(6, 2))
    ax.barh([e["framework"] for e in scored][::-1], [e["score"] for e in scored][::-1],
            color=[plots.color(e["framework"]) for e in scored][::-1])
    if scored:
        best = scored[0]["score"]
        ax.axvspan(best - WEIGHTED_MARGIN, best, color="grey", alpha=0.2, label="within the margin: cannot tell")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_xlim(0, 1.05)
    fig.tight_layout()
    return fig


def recommender_widget(card):
    """Sliders for each priority's weight; each change shows the totals as bars and one line per priority.

    A checkbox shows the full breakdown (every row behind every score) on request.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    _check_card(card)
    sliders = {p: widgets.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.5, description=p,
                                      style={"description_width": "initial"}) for p in PRIORITIES}
    details = widgets.Checkbox(value=False, description="show every reason")
    out = widgets.Output()

    def show(_=None):
        out.clear_output(wait=True)
        with out:
            try:
                recommendation = recommend({p: s.value for p, s in sliders.items()}, card)
            except ValueError as err:  # e.g. every weight at 0
                print(f"Cannot recommend: {err}")
                return
            fig = totals_figure(recommendation)
            display(fig)
            plt.close(fig)
            print(recommendation_text(recommendation) if details.value else summary_text(recommendation))

    for control in (*sliders.values(), details):
        control.observe(show, names="value")
    show()
    return widgets.VBox([*sliders.values(), details, out])


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


def speed_record_verdict(step_ms) -> str:
    """The "high performance" row's verdict had notebook 02 recorded these times on some machine.

    Args:
        step_ms: {framework: [ms per training step, one per round]}, the rounds interleaved (paired).
    """
    import tempfile
    from pathlib import Path

    from utils import results, scenarios

    check_dict("step_ms", step_ms)
    scenario = scenarios.repeats_scenario(step_ms, "ms per training step", unit="ms",
                                         rounds={n: list(range(len(v))) for n, v in step_ms.items()})
    with tempfile.TemporaryDirectory() as folder:
        results.record("02_speed", {"verdicts": {"high performance": scenario}}, folder=Path(folder))
        rows = build_scorecard(results_folder=Path(folder))
    return next(r["verdict"] for r in rows if r["scenario"] == "high performance")


# Exercise 1's record: ms per step in five interleaved rounds on a laptop whose speed varies from round to round.
EXERCISE_1 = {"Keras": [1.212, 1.331, 1.187, 1.5, 1.211], "TensorFlow": [1.0, 1.131, 0.96, 1.262, 1.03],
              "PyTorch": [0.959, 1.064, 0.921, 1.176, 0.988]}
EXERCISE_2 = ({"ecosystem": 1.0}, "deployment")  # the base weights and the priority exercise 2 raises
VERDICT_WORDS = (*NAMES, *(f"{a} and {b}" for i, a in enumerate(NAMES) for b in NAMES[i + 1:]), "all three",
                 "cannot tell")  # the words a scenario's verdict can take, "cannot tell: ..." shortened


def scorecard_exercise(number, answer, card) -> object:
    """Check notebook 07's exercise `number` (1 or 2); print one line, never raise for any answer."""
    if number not in (1, 2) or isinstance(number, bool):
        raise ValueError(f"number must be 1 or 2, got {number!r}")
    _check_card(card)
    if number == 1:
        verdict = speed_record_verdict(EXERCISE_1)
        if isinstance(answer, str) and answer == verdict and ":" in verdict:
            return report("1", "that is speed_record_verdict's output: predict it yourself, with one of "
                          f"{list(VERDICT_WORDS)}")
        expected = "cannot tell" if verdict.startswith("cannot tell") else verdict
        reason = explain_choice(answer, expected, VERDICT_WORDS,
                                why="not what those rounds give: divide each framework's time by the fastest one's, "
                                    "round by round, and compare the ratios with the 10% margin")
        return report("1", reason, "the judge pairs the rounds: a slow round slows all three alike",
                      "write down each round's ratio to the fastest; a framework whose ratios all stay within "
                      "1.1 shares the lead")
    expected = _first_change(*EXERCISE_2, card, None)
    hint = "try the weights with recommender.recommend and watch the 'leader' line"
    if isinstance(answer, dict):
        return report("2", "answer with one number, the weight, not a recommendation", hint)
    if "weight_where_leader_changes" in _CALLED and isinstance(answer, int | float) and answer == expected:
        return report("2", "weight_where_leader_changes computed that for you: find the weight with "
                      "recommender.recommend instead, and say why it changes there", hint)
    return report("2", explain(answer, expected), hint, f"note the leader with {EXERCISE_2[1]}'s weight at 0, then "
                  "raise that weight in the exercise's steps, smallest first, until the leader differs")
