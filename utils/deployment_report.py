"""Notebook 08's comparison of export paths: tables, the verdict per claim, the figure, the exercise checks.

Used by notebook 08 (deployment), on the rows that `utils.deployment.measure_path` returns.

    from utils import deployment_report
    print(deployment_report.agreement(rows))          # each path's numbers against the original, no rounding noise
    print(deployment_report.paths_table(rows))        # sizes, load times, latencies (they vary: not compared)
    deployment_report.race(rows)                       # each framework's fastest server path, interleaved rounds
    text, key_results = deployment_report.deployment_verdict(rows)   # judged by utils.verdicts
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from utils.checks import check_int
from utils.deployment import BATCHES, RUNTIMES, TOLERANCE, latency, quiet, status
from utils.tables import _power, difference, text_table

RACE_ROUNDS, RACE_CALLS = 15, 20  # the server race: rounds, each timing every contestant for this many calls


def paths_table(rows) -> str:
    """The measured paths as a text table (times in ms, sizes in kB); failed paths say 'does not export here'."""
    lines = []
    for r in rows:
        if not r["exports"]:
            lines.append({"path": r["path"], "runtime": r["runtime"], "lines": "-", "size (kB)": "-",
                          "load (ms)": "-", "batch 1 (ms)": "-", "batch 32 (ms)": "-", "same class": "-",
                          "largest difference": status(r)})
            continue
        lat = {b: r["latency"][b]["median_s"] * 1e3 for b in BATCHES}
        lines.append({"path": r["path"], "runtime": r["runtime"], "lines": r["lines"],
                      "size (kB)": f"{r['size_bytes'] / 1e3:.1f}", "load (ms)": f"{r['load_s'] * 1e3:.1f}",
                      "batch 1 (ms)": f"{lat[1]:.3f}", "batch 32 (ms)": f"{lat[32]:.3f}",
                      "same class": f"{r['same_class']:.0%}", "largest difference": f"{r['max_difference']:.1e}"})
    return text_table(lines, align={"path": "<", "runtime": "<"})


def agreement(rows) -> str:
    """Each path's numbers against the original model, as the lesson claims them (no rounding noise)."""
    out = []
    for r in rows:
        if not r["exports"]:
            out.append(f"{r['path']:<30} {status(r)}: {r['error']}")
        elif r["within_tolerance"]:
            out.append(f"{r['path']:<30} same numbers: {difference(r['max_difference'], r['tolerance'])}")
        else:  # the value varies with the CPU: it is in the table; here, the finding
            out.append(f"{r['path']:<30} CHANGES THE NUMBERS: over the tolerance {_power(r['tolerance'])} "
                       "(see the table)")
    return "\n".join(out)


FORMAT_OF = {"saved_model": "SavedModel", "litert": "LiteRT", "onnxruntime": "ONNX", "pt2": ".pt2",
             "openvino": "OpenVINO"}
SERVER_RUNTIMES = ("onnxruntime", "saved_model", "pt2")  # the runtimes a server would run (LiteRT: phones)
FRAMEWORKS = ("Keras", "TensorFlow", "PyTorch")
SOURCES = {
    "keras": "https://keras.io/api/models/model_saving_apis/export/",
    "tf_saved_model": "https://www.tensorflow.org/guide/saved_model",
    "litert": "https://ai.google.dev/edge/litert",
    "torch_export": "https://docs.pytorch.org/docs/stable/export.html",
    "torch_onnx": "https://docs.pytorch.org/docs/stable/onnx_export.html",
    "executorch": "https://docs.pytorch.org/executorch/stable/index.html",
    "onnxruntime": "https://onnxruntime.ai/docs/",
    "onnxruntime_web": "https://onnxruntime.ai/docs/tutorials/web/",
    "tfjs": "https://www.tensorflow.org/js/guide/conversion",
}


def _working(rows, framework=None, runtimes=None):
    return [r for r in rows if r["exports"] and r["within_tolerance"] and (framework is None or r["framework"] ==
            framework) and (runtimes is None or _runtime_key(r) in runtimes)]


def _runtime_key(row) -> str:
    return next(k for k, r in RUNTIMES.items() if r.name == row["runtime"])


def _archs(rows) -> list[str]:
    return sorted({r.get("arch", "mlp") for r in rows})


def formats_per_framework(rows) -> dict[str, list[str]]:
    """The file formats each framework exported here that ran with the original's numbers, for every model.

    With rows of several models (`arch`: the MLP and the CNN), a format counts for a framework only if it
    worked for each of them: a format that keeps one model's numbers and not the other's is not counted.
    """
    def formats(f, arch):
        return {FORMAT_OF[_runtime_key(r)] for r in _working(rows, f) if r.get("arch", "mlp") == arch}

    return {f: sorted(set.intersection(*(formats(f, a) for a in _archs(rows)))) if rows else [] for f in FRAMEWORKS}


def race(rows, rounds: int = RACE_ROUNDS, calls: int = RACE_CALLS) -> dict:
    """Time each framework's fastest server path at batch 32 in interleaved rounds; {framework: row}.

    Each round times every contestant for `calls` calls, in a shuffled order, and keeps the median of each;
    `row["race_s"]` holds one median per round, so `verdict` can pair the rounds (a slow moment hits all).
    Run it before the exported files' folder is removed: it calls the runtimes loaded by measure_path.
    """
    check_int("rounds", rounds, minimum=3)
    check_int("calls", calls, minimum=1)
    best = {}
    for f in FRAMEWORKS:
        mine = [r for r in _working(rows, f, SERVER_RUNTIMES) if "_served" in r]
        if mine:
            best[f] = min(mine, key=lambda r: r["latency"][32]["median_s"])
            best[f]["race_s"] = []
    order = np.random.default_rng(0)
    for _ in range(rounds):
        for f in order.permutation(list(best)):
            predict, loaded, x = best[f]["_served"]
            best[f]["race_s"].append(latency(predict, loaded, x, repeats=max(calls, 3), warmup=2)["median_s"])
    return best


def _functionality_word(leaders: list[str]) -> str:
    if leaders == ["TensorFlow"]:
        return "TensorFlow leads: the claim holds here."
    if "TensorFlow" in leaders:
        others = " and ".join(f for f in leaders if f != "TensorFlow")
        return f"The claim holds only in part: TensorFlow shares the lead with {others}."
    return f"The claim does not hold here: the most formats come from {' and '.join(leaders)}."


def deployment_verdict(rows) -> tuple[str, dict]:
    """The verdict per 2019 claim and scenario, judged by utils.verdicts; (text, key results for results.record).

    `rows` may hold the paths of several models (their `arch`): formats count as `formats_per_framework` says
    (only those that worked for every model); the mobile sizes and the server race are the MLP's.
    """
    from utils import scenarios, verdicts

    formats = formats_per_framework(rows)
    counts = {f: len(v) for f, v in formats.items() if v}
    tiers = verdicts.tiers(counts)
    archs = _archs(rows)
    mlp = [r for r in rows if r.get("arch", "mlp") == "mlp"]  # sizes and the race: the MLP's files
    both = f" for {' and '.join(a.upper() for a in reversed(archs))} alike" if len(archs) > 1 else ""
    lines = ["Functionality (2019: TensorFlow has the breadth of features). Formats exported and run here with the "
             f"original's numbers{both}: "
             + "; ".join(f"{f} {len(v)} ({', '.join(v)})" for f, v in formats.items()) + ".",
             f"  Ranked by the series' rule (within {verdicts.CLOSE:.0%} = about the same): "
             f"{verdicts.ranking_line(counts)}. "
             + _functionality_word(tiers[-1])]
    mobile = {f: min((r["size_bytes"] for r in _working(mlp, f, ("litert",))), default=None)
              if "LiteRT" in formats[f] else None for f in FRAMEWORKS}
    on_phone = [f for f, v in mobile.items() if v]
    lines.append(f"Deployment to mobile (LiteRT file run by its interpreter, measured): {', '.join(on_phone) or 'none'}"
                 f"; {', '.join(f for f in FRAMEWORKS if f not in on_phone) or 'none'}: not measured here "
                 "(PyTorch's mobile runtime ExecuTorch and the litert-torch converter: documented, not installed).")
    server = {r["framework"]: r for r in mlp if r.get("race_s")}
    rounds = list(range(len(next(iter(server.values()))["race_s"]))) if server else []
    pairs = [verdicts.compare_repeats(a, server[a]["race_s"], "PyTorch", server["PyTorch"]["race_s"],
                                      rounds=(rounds, rounds))
             for a in ("Keras", "TensorFlow") if a in server and "PyTorch" in server]
    lines.append("Deployment to a server (each framework's fastest server path, batch 32, raced in interleaved "
                 "rounds; run `race` first): "
                 + "; ".join(f"{f} via {r['path']} ({r['runtime']})" for f, r in server.items()) + ". "
                 + " ".join(str(p) + "." for p in pairs))
    onnx = [f for f in FRAMEWORKS if "ONNX" in formats[f]]
    lines.append(f"In the browser (a reading of sources, not measured): ONNX Runtime Web runs ONNX files, which "
                 f"{', '.join(onnx)} wrote and onnxruntime ran here; TensorFlow.js converts SavedModels and Keras "
                 "models. This series installs no JavaScript runtime, so no browser ran them.")
    key = {"formats": formats, "models": archs, "functionality_ranking": verdicts.ranking_line(counts),
           "functionality_leaders": tiers[-1], "mobile_measured": on_phone,
           "mobile_smallest_bytes": {f: v for f, v in mobile.items() if v},
           "server_fastest": {f: {"path": r["path"], "median_ms_batch32": float(np.median(r["race_s"])) * 1e3}
                              for f, r in server.items()},
           "server_comparisons": [{"a": p.a, "b": p.b, "word": p.word, "leader": p.leader} for p in pairs],
           "browser_measured": False, "browser_onnx_writers": onnx,
           "documented_only": {"mobile": [f for f in FRAMEWORKS if f not in on_phone], "browser": list(FRAMEWORKS)},
           "claims": _claims(lines, tiers[-1], on_phone, pairs),
           "verdicts": {"functionality": scenarios.counts_scenario(
                            counts, "formats exported and run here with the original's numbers", lower_is_better=False),
                        "deployment (mobile, browser)": _deployment_scenario(on_phone, lines[2])},
           "sources": SOURCES,
           "paths": [{k: v for k, v in r.items() if k not in ("latency", "_served", "race_s")} | ({"latency_ms": {
               b: r["latency"][b]["median_s"] * 1e3 for b in BATCHES}} if r["exports"] else {}) for r in rows]}
    return "\n".join(lines), key


def _deployment_scenario(on_phone: list, evidence: str) -> dict:
    """Notebook 07's deployment row: measured on mobile where a LiteRT file ran; the rest is read from sources."""
    missing = [f for f in FRAMEWORKS if f not in on_phone]
    return {"verdict": (" and ".join(on_phone) if len(on_phone) < len(FRAMEWORKS) else "all three") + " (mobile)"
            if on_phone else "not measured", "leaders": on_phone, "decided": bool(on_phone),
            "scores": {f: 1.0 for f in on_phone}, "evidence": evidence,
            "rule": "measured: the exported mobile file ran in its runtime with the original's numbers",
            "comparisons": [f"{f}: a LiteRT file ran here" for f in on_phone],
            "from_sources": ", ".join(f"{f} on mobile" for f in missing) + (", and " if missing else "")
            + "every framework in the browser (no JavaScript runtime is installed)"}


def _claims(lines, leaders, on_phone, pairs) -> dict:
    """One entry per 2019 claim or scenario, for notebook 07: the word, what was measured, what is only read."""
    words = {p.word if p.word != "leads" else f"{p.leader} leads" for p in pairs}
    return {
        "functionality": {"word": _functionality_word(leaders).split(":")[0].removeprefix("The claim ").rstrip("."),
                          "leaders": leaders, "measured": True, "text": lines[0] + lines[1]},
        "mobile": {"word": f"measured for {', '.join(on_phone) or 'none'}", "measured": bool(on_phone),
                   "documented_only": [f for f in FRAMEWORKS if f not in on_phone], "text": lines[2],
                   "sources": [SOURCES["litert"], SOURCES["executorch"]]},
        "server": {"word": words.pop() if len(words) == 1 else "mixed", "measured": bool(pairs), "text": lines[3],
                   "sources": [SOURCES["onnxruntime"], SOURCES["tf_saved_model"], SOURCES["torch_export"]]},
        "browser": {"word": "not measured", "measured": False, "text": lines[4],
                    "sources": [SOURCES["onnxruntime_web"], SOURCES["tfjs"]]},
    }


def plot(rows):
    """File size against latency at batch 32, one point per path that runs, coloured by framework."""
    from utils import plots

    fig, ax = plots.figure("Exported files: size and speed (MLP, CPU, 1 thread)", xlabel="file size (kB)",
                           ylabel="latency per batch of 32 (ms, log scale)", figsize=(8, 4.5))
    markers = {"onnxruntime": "o", "litert": "s", "saved_model": "^", "pt2": "D"}
    for r in rows:
        if r["exports"]:
            key = _runtime_key(r)
            ax.scatter(r["size_bytes"] / 1e3, r["latency"][32]["median_s"] * 1e3, s=60, marker=markers[key],
                       color=plots.color(r["framework"]), label=f"{r['framework']}, {RUNTIMES[key].name}")
            ax.annotate(r["path"].split("→ ")[-1], (r["size_bytes"] / 1e3, r["latency"][32]["median_s"] * 1e3),
                        fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.set_yscale("log")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


# ---- exercise checks ---------------------------------------------------------------------------------------------

def check_choice_of_path(name: str, answer, rows, runtime: str, max_kb: float, hint: str = ""):
    """Exercise: the path (its name in the table) that runs in `runtime`, under `max_kb`, same class everywhere.

    The right path is computed here from the measured rows; a wrong one is told which condition it breaks.
    """
    from utils.exercises import report

    _check_hint(hint)
    fits = [r for r in rows if r["exports"] and _runtime_key(r) == runtime and r["size_bytes"] / 1e3 < max_kb
            and r["same_class"] == 1.0]
    names = [r["path"] for r in rows]
    if answer is Ellipsis or answer is None:
        reason = "replace the `...` with a path's name, as the table spells it, and run the cell again"
    elif not isinstance(answer, str) or answer not in names:
        reason = "answer with a path's name (a string) exactly as the table's first column spells it"
    else:
        row = next(r for r in rows if r["path"] == answer)
        if not row["exports"]:
            reason = "that path does not run here at all"
        elif _runtime_key(row) != runtime:
            reason = f"that file is not served by the {RUNTIMES[runtime].name}, which the phone app has"
        elif row["size_bytes"] / 1e3 >= max_kb:
            reason = f"that file is over {max_kb:g} kB"
        elif row["same_class"] < 1.0:
            reason = "that file changes the predicted class of some examples"
        else:
            reason = None if answer in [r["path"] for r in fits] else "that path does not meet every condition"
    return report(name, reason, hint)


def check_serving(name: str, func, torch_model, example, hint: str = ""):
    """Exercise: `func(path, x)` loads an ONNX file with onnxruntime and returns the predictions for x.

    The check exports `torch_model` to ONNX in a temporary folder (removed after) and compares `func`'s
    predictions with the model's own, within TOLERANCE. Calling this module's load_onnx/predict_onnx is refused.
    """
    _check_hint(hint)
    import tempfile

    import torch

    from utils.exercises import check_function, report

    x = np.ascontiguousarray(example, dtype=np.float32)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    with tempfile.TemporaryDirectory(prefix="kvtvp-08-check-") as folder:
        path = str(Path(folder) / "model.onnx")
        try:
            with quiet():
                torch.onnx.export(torch_model, (torch.from_numpy(x),), path, dynamo=True, external_data=False,
                                  verbose=False)
        except Exception as err:
            return report(name, f"the check could not write its ONNX file ({type(err).__name__}): please report it")
        return check_function(name, func, [((path, x), expected)], atol=TOLERANCE, hint=hint,
                              forbidden_calls=("deployment.load_onnx", "deployment.predict_onnx"))


def _check_hint(hint) -> None:
    if not isinstance(hint, str):
        raise TypeError(f"hint must be a string (shown with a wrong answer), got {type(hint).__name__}")
