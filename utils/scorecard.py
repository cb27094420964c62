"""The scenario scorecard: the 2019 table's scenarios with the verdicts notebooks 01-06 and 08 recorded.

Used by notebook 07. Each measuring notebook judges its own scenarios with the series' one judge
(`utils.verdicts`) and records the verdict in its results file ("verdicts": {scenario: ...}); this module
reads those verdicts and never re-judges. Each row gets the evidence (which notebook, what it measured), a
score per framework (a share of the best, 0-1, for the figure and the recommender), the recorded verdict and
a link to the notebook's section. Measured rows read the learner's results/ files, else the committed
references (`utils.results.load_results`); with references_only=True, or the environment variable
KVTVP_REFERENCES_ONLY=1 (set by `make test`, so that CI compares notebook 07's outputs), only the committed
references. A missing or unusable file gives a row that says why, never a crash. Scenarios (or parts of one)
the series did not measure are the authors' reading of cited sources, marked as such.
The recommender that weighs these rows lives in `utils.recommender`.

    from utils import scorecard
    card = scorecard.build_scorecard()
    print(scorecard.claim_check(card))
"""

from __future__ import annotations

import os
from pathlib import Path

from utils import results
from utils.frameworks import COMPARED
from utils.tables import text_table

NAMES = tuple(f.name for f in COMPARED)  # Keras, TensorFlow, PyTorch
SOURCE_NOTE = "reading of sources"
MEASURED, IN_PART, NOT_MEASURED = "measured", "measured in part", "not measured"
REFERENCES_ONLY = "KVTVP_REFERENCES_ONLY"  # =1: read only the committed references (make test)
FIELDS = ("verdict", "leaders", "decided", "scores", "evidence", "rule", "comparisons")  # a recorded verdict

# Sources for the rows the series did not measure (cited with URLs in notebook 07 too).
SOURCES = {
    "object detection": [
        ("torchvision detection models (Faster R-CNN, RetinaNet, SSD, FCOS)",
         "https://pytorch.org/vision/stable/models.html#object-detection-instance-segmentation-and-person-keypoint-detection"),
        ("KerasHub, Keras's model library", "https://keras.io/keras_hub/"),
        ("TensorFlow Model Garden", "https://github.com/tensorflow/models/tree/master/official"),
        ("PyPI download ranks 2026-11: ultralytics 1343, keras-hub 6508, tf-models-official 14323",
         "https://pypi.org/project/ultralytics/"),
    ],
    "deployment (mobile, browser)": [
        ("LiteRT (formerly TensorFlow Lite) for mobile and edge", "https://ai.google.dev/edge/litert"),
        ("TensorFlow.js for the browser", "https://www.tensorflow.org/js"),
        ("ExecuTorch: PyTorch on mobile and edge", "https://github.com/pytorch/executorch"),
        ("Keras model export (SavedModel, then LiteRT or TF.js)",
         "https://keras.io/api/models/model_saving_apis/export/"),
    ],
}

# The scenarios: (scenario, 2019 pick, the recommender priority it informs, the notebook it reads).
SCENARIOS = (
    ("rapid prototyping", "Keras", "prototyping", "01_level_of_api"),
    ("small datasets", "Keras", "data scale", "05_datasets"),
    ("multiple back ends", "Keras", "ecosystem", "03_architecture"),
    ("large datasets", "TensorFlow", "data scale", "05_datasets"),
    ("high performance", "TensorFlow", "speed", "02_speed"),
    ("functionality", "TensorFlow", "ecosystem", "08_deployment"),
    ("object detection", "TensorFlow", "ecosystem", None),
    ("flexibility", "PyTorch", "prototyping", "03_architecture"),
    ("short training duration", "PyTorch", "speed", "02_speed"),
    ("debugging", "PyTorch", "debugging", "04_debugging"),
    ("deployment (mobile, browser)", "not in the 2019 table", "deployment", "08_deployment"),
    ("popularity", "not in the 2019 table", "popularity", "06_popularity"),
)
PRIORITIES = ("prototyping", "speed", "debugging", "data scale", "ecosystem", "deployment", "popularity")


# The authors' reading of SOURCES, as shares of the best (0-1), with the sentence that justifies it. A row
# measured in part takes from here only the frameworks its notebook did not measure.
READINGS = {
    "object detection": ({"Keras": 0.5, "TensorFlow": 0.5, "PyTorch": 1.0},
                         "torchvision and ultralytics (PyTorch) lead; KerasHub and the TF Model Garden "
                         "maintain fewer detectors and rank far lower on PyPI"),
    "deployment (mobile, browser)": ({"Keras": 0.75, "TensorFlow": 1.0, "PyTorch": 0.75},
                                     "TensorFlow has LiteRT and TF.js; Keras reaches them by exporting; PyTorch "
                                     "has ExecuTorch for mobile, less for the browser"),
}


def env_references_only() -> bool:
    """True when KVTVP_REFERENCES_ONLY=1: the scorecard reads only the committed references."""
    return os.environ.get(REFERENCES_ONLY, "") == "1"


def _row(scenario, pick, priority, notebook, kind, verdict, evidence, source=None, reason=None, recorded=None,
         scores=None, sourced=()):
    recorded = recorded or {}
    return {"scenario": scenario, "claim_2019": pick, "priority": priority, "notebook": notebook,
            "link": f"notebooks/{notebook}.ipynb#Verdict" if notebook else None, "kind": kind, "verdict": verdict,
            "leaders": list(recorded.get("leaders", [])), "decided": bool(recorded.get("decided", False)),
            "scores": scores, "sourced": list(sourced), "evidence": evidence, "rule": recorded.get("rule"),
            "comparisons": list(recorded.get("comparisons", [])), "source": source, "reason": reason}


def _reading_row(scenario, pick, priority):
    scores, why = READINGS[scenario]
    best = max(scores.values())
    leaders = [n for n in NAMES if scores[n] == best]
    return _row(scenario, pick, priority, None, SOURCE_NOTE, f"{' and '.join(leaders)} ({SOURCE_NOTE})",
                f"{why} (the authors' {SOURCE_NOTE}, not a measurement)", "sources", None,
                {"leaders": leaders, "decided": True}, dict(scores), NAMES)


def _recorded(payload, scenario) -> dict:
    """The verdict the notebook recorded for `scenario`; ValueError saying what is missing."""
    found = payload.get("verdicts", {}).get(scenario) if isinstance(payload.get("verdicts"), dict) else None
    if not isinstance(found, dict):
        raise ValueError(f"no verdict recorded for {scenario!r}")
    missing = [f for f in FIELDS if f not in found]
    if missing or not isinstance(found["scores"], dict):
        raise ValueError(f"the verdict for {scenario!r} lacks {missing or ['scores']}")
    return found


def _measured_row(scenario, pick, priority, notebook, folder, reference_folder, own):
    run = f"run notebook {notebook[:2]}"
    try:
        loaded = results.load_results(notebook, folder=folder, reference_folder=reference_folder, own=own)
    except (FileNotFoundError, ValueError, OSError) as err:
        return _row(scenario, pick, priority, notebook, NOT_MEASURED, f"not measured: {run}",
                    f"no results ({err})", None, f"not measured: {err}")
    try:
        recorded = _recorded(loaded["results"], scenario)
    except ValueError as err:
        reason = f"results for {notebook} ({loaded['source']}): {err} ({run} again to record it)"
        return _row(scenario, pick, priority, notebook, NOT_MEASURED, f"not measured: {run}", reason,
                    loaded["source"], reason)
    scores = {n: float(recorded["scores"][n]) for n in NAMES if n in recorded["scores"]}
    sourced = [n for n in NAMES if n not in scores]
    evidence = f"notebook {notebook[:2]}, {recorded['evidence']}"
    if sourced:  # measured in part: the rest is the authors' reading of sources
        readings, why = READINGS[scenario]
        scores.update({n: readings[n] for n in sourced})
        evidence += f"; from sources ({SOURCE_NOTE}): {recorded.get('from_sources', ', '.join(sourced))}: {why}"
    return _row(scenario, pick, priority, notebook, IN_PART if sourced else MEASURED, recorded["verdict"], evidence,
                loaded["source"], loaded["reason"], recorded, scores, sourced)


def build_scorecard(results_folder: Path | None = None, reference_folder: Path | None = None,
                    references_only: bool | None = None) -> list[dict]:
    """One row per scenario: the recorded verdict, scores per framework, evidence, link, and the numbers' source.

    Args:
        results_folder: the learner's results (default results/).
        reference_folder: the committed references (default data/reference_results/).
        references_only: read only the references; None means KVTVP_REFERENCES_ONLY=1 when results_folder
            is not given.
    Returns:
        Rows with "scenario", "claim_2019", "priority", "notebook", "link", "kind" (measured, measured in part,
        reading of sources, not measured), "verdict", "leaders", "decided", "scores" ({name: 0-1} or None),
        "sourced" (the frameworks whose score is a reading), "evidence", "rule", "comparisons", "source"
        ("own", "reference" or "sources") and "reason".
    """
    for name, value in (("results_folder", results_folder), ("reference_folder", reference_folder)):
        if value is not None and not isinstance(value, str | Path):
            raise TypeError(f"{name} must be a path or None, got {type(value).__name__}")
    if references_only is None:
        references_only = results_folder is None and env_references_only()
    rows = []
    for scenario, pick, priority, notebook in SCENARIOS:
        if notebook is None:
            rows.append(_reading_row(scenario, pick, priority))
        else:
            rows.append(_measured_row(scenario, pick, priority, notebook, results_folder, reference_folder,
                                      own=not references_only))
    return rows


def _cell(row, name):
    if row["scores"] is None:
        return "–"
    return f"{row['scores'][name]:.2f}" + ("*" if name in row["sourced"] else "")


def scenario_markdown(card) -> str:
    """The 2019 table and today's side by side, as a Markdown table linking each row's notebook.

    A score marked * is the authors' reading of sources.
    """
    _check_card(card)
    lines = ["| scenario | 2019 pick | today (this series) | " + " | ".join(NAMES) + " | evidence |",
             "|" + "---|" * (4 + len(NAMES))]
    for row in card:
        links = " ".join(f"[{i}]({url})" for i, (_, url) in enumerate(SOURCES.get(row["scenario"], []), 1))
        where = f"[{row['notebook'][:2]}]({row['link'].removeprefix('notebooks/')})" if row["link"] else "sources"
        where += f" sources {links}" if row["sourced"] and row["link"] and links else f" {links}" if links else ""
        lines.append(f"| {row['scenario']} | {row['claim_2019']} | {row['verdict']} | "
                     + " | ".join(_cell(row, n) for n in NAMES) + f" | {where}: {row['evidence']} |")
    return "\n".join(lines)


def scenario_table(card) -> str:
    """The same comparison as plain text (scenario, 2019 pick, today's verdict, scores; * = reading of sources)."""
    _check_card(card)
    return text_table([{"scenario": r["scenario"], "2019 pick": r["claim_2019"], "today": r["verdict"],
                        **{n: _cell(r, n) for n in NAMES}} for r in card])


def provenance_table(card) -> str:
    """Which numbers are the learner's own and which are references (from when, which machine), and why."""
    _check_card(card)
    rows, seen = [], set()
    for r in card:
        if r["notebook"] is None or r["notebook"] in seen:
            continue
        seen.add(r["notebook"])
        rows.append({"notebook": r["notebook"], "numbers": r["source"] or "none",
                     "why": r["reason"] or ("your own run" if r["source"] == "own" else "-")})
    return text_table(rows)


def _check_card(card) -> None:
    if not isinstance(card, list):
        raise TypeError(f"card must be the list build_scorecard returns, got {type(card).__name__}")
    if not card or not all(isinstance(r, dict) and {"scenario", "scores", "priority", "sourced", "decided"} <= set(r)
                           for r in card):
        raise ValueError("card must be a non-empty list of build_scorecard's rows")


def scorecard_figure(card):
    """A heat map of the scores of decided, measured rows; "cannot tell" rows hatched, sources and gaps grey."""
    import numpy as np
    from matplotlib.patches import Rectangle

    from utils import plots

    _check_card(card)
    coloured = [[r["scores"] is not None and r["decided"] and n not in r["sourced"] for n in NAMES] for r in card]
    grid = np.array([[r["scores"][n] if ok else np.nan for n, ok in zip(NAMES, row_ok, strict=True)]
                     for r, row_ok in zip(card, coloured, strict=True)])
    fig, ax = plots.figure("Scorecard: each framework's score per scenario (1 = the best)", xlabel="framework",
                           ylabel="scenario (where the evidence comes from)", figsize=(8.5, 6.5))
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_facecolor("white")
    ax.set_xticks(range(len(NAMES)), NAMES)
    ax.set_yticks(range(len(card)), [f"{r['scenario']} ({r['notebook'][:2] if r['notebook'] else 'sources'})"
                                     for r in card])
    ax.grid(False)
    for i, row in enumerate(card):
        for j, name in enumerate(NAMES):
            if coloured[i][j]:
                value = grid[i, j]
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=9,
                        color="black" if value > 0.6 else "white")
                continue
            sourced = row["scores"] is not None and name in row["sourced"]
            undecided = row["scores"] is not None and not sourced
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="lightgrey" if sourced else "whitesmoke",
                                   hatch="///" if undecided else None, edgecolor="darkgrey", lw=0))
            label = ("not measured" if row["scores"] is None else f"{row['scores'][name]:.2f} source" if sourced
                     else f"{row['scores'][name]:.2f} cannot tell")
            ax.text(j, i, label, ha="center", va="center", fontsize=8, color="dimgrey", style="italic")
    fig.colorbar(image, ax=ax, label="score of a decided, measured row (share of the best, 0-1)")
    fig.tight_layout()
    return fig


OUTCOMES = ("holds", "holds in part", "does not hold", "cannot tell", "not measured")


def _claim_status(r) -> tuple[str, str]:
    """(outcome, the line's text after the colon) for one row; outcome is one of OUTCOMES or "new row"."""
    claim, leaders, verdict = r["claim_2019"], r["leaders"], r["verdict"]
    if claim not in NAMES:
        return "new row", f"new row: {verdict}"
    if r["kind"] == NOT_MEASURED:
        return "not measured", verdict
    if not r["decided"]:
        contenders = verdict.removeprefix("cannot tell: ")
        return "cannot tell", (f"cannot tell ({contenders}): no longer a reason to pick {claim}" if claim in contenders
                               else f"does not hold: {contenders} lead (cannot tell which)")
    if leaders == [claim]:
        return "holds", "holds"
    if claim in leaders:
        return "holds in part", f"holds in part: {claim} shares the lead ({verdict})"
    return "does not hold", f"does not hold: {' and '.join(leaders)} {'leads' if len(leaders) == 1 else 'lead'}"


def claim_outcomes(card) -> dict:
    """{scenario: outcome} for each 2019 claim (the rows the 2019 table had), outcome one of OUTCOMES."""
    _check_card(card)
    return {r["scenario"]: outcome for r in card if (outcome := _claim_status(r)[0]) != "new row"}


def claim_check(card) -> str:
    """One line per scenario: the 2019 pick, today's recorded verdict, and whether the claim holds."""
    _check_card(card)
    lines = []
    for r in card:
        kind = "" if r["kind"] in (MEASURED, NOT_MEASURED) else f" [{r['kind']}]"
        lines.append(f"{r['scenario']} (2019: {r['claim_2019']}): {_claim_status(r)[1]}{kind}")
    return "\n".join(lines)
