"""The scenario scorecard: the 2019 table's scenarios judged from what notebooks 01-06 measured.

Used by notebook 07. Each scenario gets the evidence (which notebook, which measurement, what it
showed), a score per framework (a share of the best, 0-1), a verdict and a link to the notebook's
section. Measured rows read the learner's results/ files, else the committed references
(`utils.results.load_results`); a missing or unusable file gives a row that says why, never a crash.
Scenarios the series did not measure are the authors' reading of cited sources, marked as such.
The recommender that weighs these rows lives in `utils.recommender`.

    from utils import scorecard
    card = scorecard.build_scorecard()
    print(scorecard.scenario_markdown(card))
"""

from __future__ import annotations

from pathlib import Path

from utils import popularity, results
from utils.checks import check_dict, check_number
from utils.frameworks import COMPARED
from utils.tables import text_table

NAMES = tuple(f.name for f in COMPARED)  # Keras, TensorFlow, PyTorch
CLOSE = 0.10  # scores (shares of the best) less than 0.10 below the leader's count as "cannot tell"
DEBUG_MARGIN = 1.0  # notebook 04's own margin, in points of its 0-4 error-message score
SOURCE_NOTE = "authors' reading of sources, not a measurement"
NOT_MEASURED_02 = "not measured yet: run notebook 02"
CONTENDED = "cannot tell: the speed run had noisy or contended cells (see notebook 02; rerun it on a quiet machine)"
SPEED_KEYS = ("ms_per_step", "best_ms_per_step", "median_ms")  # accepted shapes of 02's per-framework time

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
    "functionality": [
        ("TensorFlow 2.21 release notes (TFX, Serving, LiteRT, tf.data)",
         "https://github.com/tensorflow/tensorflow/releases/tag/v2.21.0"),
        ("PyTorch 2.0 release notes (torch.compile)", "https://github.com/pytorch/pytorch/releases/tag/v2.0.0"),
        ("Keras 3 README: JAX, TensorFlow, PyTorch and OpenVINO back ends",
         "https://github.com/keras-team/keras/blob/v3.15.1/README.md"),
        ("Hugging Face Transformers drops TensorFlow and JAX (PR #38758)",
         "https://github.com/huggingface/transformers/pull/38758"),
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
    ("functionality", "TensorFlow", "ecosystem", None),
    ("object detection", "TensorFlow", "ecosystem", None),
    ("flexibility", "PyTorch", "prototyping", "03_architecture"),
    ("short training duration", "PyTorch", "speed", "02_speed"),
    ("debugging", "PyTorch", "debugging", "04_debugging"),
    ("deployment (mobile, browser)", "not in the 2019 table", "deployment", None),
    ("popularity", "not in the 2019 table", "popularity", "06_popularity"),
)
PRIORITIES = ("prototyping", "speed", "debugging", "data scale", "ecosystem", "deployment", "popularity")

# The authors' reading of SOURCES, as shares of the best (0-1), with the sentence that justifies it.
READINGS = {
    "functionality": ({"Keras": 0.75, "TensorFlow": 0.75, "PyTorch": 1.0},
                      "all three cover training, serving and export; PyTorch holds most new libraries "
                      "(Transformers v5 is PyTorch-only), TensorFlow keeps TFX/Serving/LiteRT"),
    "object detection": ({"Keras": 0.5, "TensorFlow": 0.5, "PyTorch": 1.0},
                         "torchvision and ultralytics (PyTorch) lead; KerasHub and the TF Model Garden "
                         "maintain fewer detectors and rank far lower on PyPI"),
    "deployment (mobile, browser)": ({"Keras": 0.75, "TensorFlow": 1.0, "PyTorch": 0.75},
                                     "TensorFlow has LiteRT and TF.js; Keras reaches them by exporting a "
                                     "SavedModel; PyTorch has ExecuTorch for mobile, less for the browser"),
}


def _row(scenario, pick, priority, notebook, scores, evidence, kind, source=None, reason=None, margin=CLOSE):
    verdict = verdict_of(scores, margin) if scores is not None else (
        NOT_MEASURED_02 if notebook == "02_speed" else "not measured")
    return {"scenario": scenario, "claim_2019": pick, "priority": priority, "notebook": notebook,
            "link": f"notebooks/{notebook}.ipynb#Verdict" if notebook else None, "scores": scores,
            "margin": margin, "verdict": verdict, "evidence": evidence, "kind": kind, "source": source,
            "reason": reason}


def verdict_of(scores, margin=None) -> str:
    """The framework(s) with the best score; "cannot tell" when others lie within `margin` of it.

    Args:
        scores: {framework name: share of the best (0-1)}.
        margin: how close (in score) counts as "cannot tell"; None means CLOSE.
    Returns:
        "PyTorch", "all three", or "cannot tell: Keras or TensorFlow".
    """
    check_dict("scores", scores)
    if margin is None:
        margin = CLOSE
    check_number("margin", margin, minimum=0, maximum=1)
    if set(scores) != set(NAMES):
        raise ValueError(f"scores must have one number per framework {list(NAMES)}, got {sorted(scores)}")
    best = max(scores.values())
    near = [n for n in NAMES if best - scores[n] < margin - 1e-9]  # closer than the margin
    if len(near) == len(NAMES):
        return "all three"
    return near[0] if len(near) == 1 else f"cannot tell: {' or '.join(near)}"


def _shares(values: dict, lower_is_better: bool) -> dict:
    """Each framework's value as a share of the best one (1.0 = the best)."""
    if lower_is_better:
        best = min(values.values())
        return {n: best / values[n] for n in NAMES}
    best = max(values.values())
    return {n: values[n] / best for n in NAMES}


def _prototyping(r):
    keras = min(v for k, v in r["lines"].items() if k.startswith("Keras") and "train_step" not in k)
    lines = {"Keras": keras, "TensorFlow": r["lines"]["TensorFlow"], "PyTorch": r["lines"]["PyTorch"]}
    return _shares(lines, True), (f"notebook 01, lines of code for the same digits classifier (same results in all "
                                  f"versions): Keras fit {keras}, TensorFlow {lines['TensorFlow']}, "
                                  f"PyTorch {lines['PyTorch']}")


def _flexibility(r):
    tokens = {n: r["tokens"][n] for n in NAMES}
    return _shares(tokens, True), ("notebook 03, tokens to write the same custom residual layer and model: "
                                   + ", ".join(f"{n} {tokens[n]}" for n in NAMES))


def _backends(r):
    engines = list(r["keras_backends_same_outputs"])
    scores = {"Keras": 1.0, "TensorFlow": round(1 / max(len(engines), 1), 3),
              "PyTorch": round(1 / max(len(engines), 1), 3)}
    return scores, (f"notebook 03, one Keras layer gave the same outputs on {len(engines)} back ends "
                    f"({', '.join(engines)}); TensorFlow and PyTorch code runs on its own engine only")


def _small(r):
    ok = r["keras_limited_to_small_data"] is False
    return ({n: 1.0 for n in NAMES}, "notebook 05, all three train from in-memory arrays; Keras "
            + ("is not limited to small data (fit also consumes tf.data and DataLoader)" if ok else
               "was found limited to small data"))


def _large(r):
    flat = {m["pipeline"]: bool(m["flat"]) for m in r["memory"]}
    which = {"Keras": "Keras", "TensorFlow": "TensorFlow", "PyTorch": "PyTorch"}
    scores = {n: 1.0 if any(flat[p] for p in flat if p.startswith(which[n])) else 0.0 for n in NAMES}
    return scores, ("notebook 05, peak memory while streaming a dataset from disk stays flat as the data grows "
                    "for " + "; ".join(p for p, f in flat.items() if f))


def _debugging(r):
    means = {n: float(r[n]["mean_score"]) for n in NAMES}
    margin = DEBUG_MARGIN / max(means.values())  # notebook 04's margin, as a share of the best score
    return _shares(means, False), ("notebook 04, error-message score (0-4, margin 1 point) over the same "
                                   "planted bugs: " + ", ".join(f"{n} {means[n]:.2f}" for n in NAMES)), margin


def _framework_name(key):
    for f in COMPARED:
        if key in (f.name, f.id):
            return f.name
    return None


def _ms(value):
    value = value.get("median", value.get("median_ms", value.get("ms_per_step"))) if isinstance(value, dict) else value
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def speed_times(key_results) -> dict:
    """Milliseconds per step per framework from notebook 02's key results (ValueError if absent).

    Args:
        key_results: the "results" object of results/02_speed.json. Either one of SPEED_KEYS maps each
            framework (name or id) to ms per step (a number, or a dict with "median"), or a list under
            "configurations" holds {"framework", "median_ms"} entries (the fastest per framework counts).
    """
    check_dict("key_results", key_results)
    candidates = [key_results[k] for k in SPEED_KEYS if isinstance(key_results.get(k), dict)]
    configurations = key_results.get("configurations")
    if isinstance(configurations, list):
        best = {}
        for entry in configurations:
            if isinstance(entry, dict) and _framework_name(entry.get("framework")) and _ms(entry) is not None:
                name = _framework_name(entry["framework"])
                best[name] = min(best.get(name, float("inf")), _ms(entry))
        candidates.append(best)
    for table in candidates:
        by_name = {_framework_name(k): _ms(v) for k, v in table.items() if _framework_name(k) and _ms(v)}
        if len(by_name) == len(NAMES):
            return by_name
    raise ValueError(f"key_results: no per-framework time (expected one of {list(SPEED_KEYS)} mapping "
                     f"{list(NAMES)} to ms per step, or a 'configurations' list)")


def _speed(r):
    ms = speed_times(r)
    evidence = "notebook 02, best ms per training step per framework: " + ", ".join(
        f"{n} {ms[n]:.3g} ms" for n in NAMES)
    if r.get("contended") is True:  # notebook 02 had noisy or contended cells: no ranking
        return _shares(ms, True), evidence + " (the run had noisy or contended cells)", 1.0
    return _shares(ms, True), evidence


MEASURED = {"rapid prototyping": _prototyping, "flexibility": _flexibility, "multiple back ends": _backends,
            "small datasets": _small, "large datasets": _large, "debugging": _debugging,
            "high performance": _speed, "short training duration": _speed}


def _popularity_row(scenario, pick, priority):
    table = popularity.scores(popularity.load_figures())
    ids = {f.id: f.name for f in COMPARED}
    mean = {ids[fid]: sum(t[fid] for t in table.values()) / len(table) for fid in ids}
    return _row(scenario, pick, priority, "06_popularity", _shares(mean, False),
                f"notebook 06, mean share of the leader over {len(table)} dated measures (latest figures): "
                + ", ".join(f"{n} {mean[n]:.2f}" for n in NAMES), "measured (sourced figures)", "committed data")


def build_scorecard(results_folder: Path | None = None, reference_folder: Path | None = None) -> list[dict]:
    """One row per scenario: scores per framework, verdict, evidence, link, and where the numbers came from.

    Args:
        results_folder: the learner's results (default results/).
        reference_folder: the committed references (default data/reference_results/).
    Returns:
        Rows with "scenario", "claim_2019", "priority", "notebook", "link", "scores" ({name: 0-1} or None),
        "verdict", "evidence", "kind", "source" ("own", "reference", "sources", ...), "reason".
    """
    for name, value in (("results_folder", results_folder), ("reference_folder", reference_folder)):
        if value is not None and not isinstance(value, str | Path):
            raise TypeError(f"{name} must be a path or None, got {type(value).__name__}")
    rows = []
    for scenario, pick, priority, notebook in SCENARIOS:
        if notebook is None:
            scores, why = READINGS[scenario]
            rows.append(_row(scenario, pick, priority, None, dict(scores), f"{why} ({SOURCE_NOTE})", SOURCE_NOTE,
                             "sources"))
        elif notebook == "06_popularity":
            rows.append(_popularity_row(scenario, pick, priority))
        else:
            rows.append(_measured_row(scenario, pick, priority, notebook, results_folder, reference_folder))
    return rows


def _measured_row(scenario, pick, priority, notebook, folder, reference_folder):
    try:
        loaded = results.load_results(notebook, folder=folder, reference_folder=reference_folder)
    except (FileNotFoundError, ValueError, OSError) as err:
        reason = NOT_MEASURED_02 if notebook == "02_speed" else f"not measured: {err}"
        return _row(scenario, pick, priority, notebook, None, reason, "not measured", None, reason)
    try:
        scores, evidence, *margin = MEASURED[scenario](loaded["results"])
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError) as err:
        reason = (f"results for {notebook} ({loaded['source']}) lack what this row needs "
                  f"({type(err).__name__}: {err})")
        return _row(scenario, pick, priority, notebook, None, f"not measured: {reason}", "not measured",
                    loaded["source"], reason)
    row = _row(scenario, pick, priority, notebook, scores, evidence, "measured", loaded["source"],
               loaded["reason"], *margin)
    if notebook == "02_speed" and loaded["results"].get("contended") is True:
        row["verdict"] = CONTENDED
    return row


def _cell(row, name):
    return "–" if row["scores"] is None else f"{row['scores'][name]:.2f}"


def scenario_markdown(card) -> str:
    """The 2019 table and today's side by side, as a Markdown table linking each row's notebook."""
    _check_card(card)
    lines = ["| scenario | 2019 pick | today (this series) | " + " | ".join(NAMES) + " | evidence |",
             "|" + "---|" * (4 + len(NAMES))]
    for row in card:
        where = (f"[{row['notebook'][:2]}]({row['link'].removeprefix('notebooks/')})" if row["link"] else
                 "sources " + " ".join(f"[{i}]({url})" for i, (_, url) in enumerate(SOURCES[row["scenario"]], 1)))
        lines.append(f"| {row['scenario']} | {row['claim_2019']} | {row['verdict']} | "
                     + " | ".join(_cell(row, n) for n in NAMES) + f" | {where}: {row['evidence']} |")
    return "\n".join(lines)


def scenario_table(card) -> str:
    """The same comparison as plain text (scenario, 2019 pick, today's verdict, scores)."""
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
    if not card or not all(isinstance(r, dict) and {"scenario", "scores", "priority"} <= set(r) for r in card):
        raise ValueError("card must be a non-empty list of build_scorecard's rows")


def scorecard_figure(card):
    """A heat map of the scores (rows: scenarios, columns: frameworks); grey where not measured."""
    import numpy as np

    from utils import plots

    _check_card(card)
    grid = np.array([[np.nan if r["scores"] is None else r["scores"][n] for n in NAMES] for r in card])
    fig, ax = plots.figure("Scorecard: each framework's score per scenario (1 = the best)", xlabel="framework",
                           ylabel="scenario (source of the evidence)", figsize=(8, 6.5))
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_facecolor("lightgrey")
    ax.set_xticks(range(len(NAMES)), NAMES)
    ax.set_yticks(range(len(card)), [f"{r['scenario']} ({r['notebook'][:2] if r['notebook'] else 'sources'})"
                                     for r in card])
    ax.grid(False)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            ax.text(j, i, "not measured" if np.isnan(value) else f"{value:.2f}", ha="center", va="center",
                    color="black" if np.isnan(value) or value > 0.6 else "white", fontsize=9)
    fig.colorbar(image, ax=ax, label="score (share of the best, 0-1)")
    fig.tight_layout()
    return fig


def claim_check(card) -> str:
    """One line per scenario: the 2019 pick, today's verdict, and whether the claim holds."""
    _check_card(card)
    lines = []
    for r in card:
        if r["scores"] is None or r["verdict"] == CONTENDED:
            status = r["verdict"]
        elif r["claim_2019"] not in NAMES:
            status = f"new row: {r['verdict']}"
        elif r["verdict"] == r["claim_2019"]:
            status = "holds"
        elif r["claim_2019"] in r["verdict"] or r["verdict"] == "all three":
            status = f"cannot tell ({r['verdict']}): no longer a reason to pick {r['claim_2019']}"
        elif r["verdict"].startswith("cannot tell"):
            status = f"does not hold: {r['verdict'].removeprefix('cannot tell: ')} lead (cannot tell which)"
        else:
            status = f"does not hold: {r['verdict']} leads"
        kind = "" if r["kind"] in ("measured", "not measured") else f" [{r['kind']}]"
        lines.append(f"{r['scenario']} (2019: {r['claim_2019']}): {status}{kind}")
    return "\n".join(lines)
