"""The 2019 speed claims, each judged in full on every case (workload, batch) of a benchmark record.

Used by notebook 02 (speed) and `python -m utils.bench`.

    print(claims_table(record))      # one line per claim and case: holds / holds in part / does not hold / cannot tell

Each claim is a set of comparisons, each decided by `verdict` (the series' judge for repeated measurements),
chosen by rule, never by hand: "Keras is slower" compares every Keras configuration with its native twin
(the same back end and kind of compiler) and the fastest Keras configuration with the fastest native one;
"TensorFlow and PyTorch are about equally fast" compares the fastest of each; "PyTorch for short training"
compares the fastest PyTorch configuration with the fastest of each other framework. A claim **holds** when
every comparison supports it, **does not hold** when none does and some contradict it, **holds in part**
when some do (or some cannot be told), and **cannot tell** when no comparison was decided.
"""

from __future__ import annotations

from utils.bench.configs import CONFIGS, NATIVE_TWIN
from utils.bench.record import MEASURED
from utils.bench.verdict import verdict
from utils.checks import check_dict

OUTCOMES = ("holds", "holds in part", "does not hold", "cannot tell")
KERAS_SLOWER = "Keras is slower"
TF_PYTORCH_EQUAL = "TensorFlow and PyTorch are about equally fast"
PYTORCH_SHORT = "PyTorch for short training duration"


def _fastest(cells: list, framework: str, native: bool = False) -> dict | None:
    """The measured cell with the lowest median of `framework` (native: of every API but Keras)."""
    mine = [c for c in cells if c["state"] in MEASURED and
            (c["framework"] != "keras" if native else c["framework"] == framework)]
    return min(mine, key=lambda c: c["median_s"], default=None)


def _comparisons(cells: list, workload: str, batch: int, record: dict) -> dict:
    """Claim -> [(verdict, the word that supports the claim)] on one case."""
    names = {c["config"] for c in cells if c["state"] not in ("failed", "unavailable")}
    found = {KERAS_SLOWER: [], TF_PYTORCH_EQUAL: [], PYTORCH_SHORT: []}

    def judge(claim, a, b, supports):
        if a and b and a["config"] != b["config"]:
            found[claim].append((verdict(record, a["config"], b["config"], workload, batch), supports))

    by_name = {c["config"]: c for c in cells}
    for keras, twin in NATIVE_TWIN.items():
        if keras in names and twin in names:
            judge(KERAS_SLOWER, by_name[keras], by_name[twin], "slower")
    judge(KERAS_SLOWER, _fastest(cells, "keras"), _fastest(cells, "", native=True), "slower")
    tf, torch = _fastest(cells, "tensorflow"), _fastest(cells, "torch")
    judge(TF_PYTORCH_EQUAL, tf, torch, "about as fast")
    for other in ("keras", "tensorflow"):
        judge(PYTORCH_SHORT, torch, _fastest(cells, other), "faster")
    return found


def outcome(pairs) -> str:
    """The claim's word from its comparisons: [(Verdict, the word that supports the claim)]."""
    told = [(v, want) for v, want in pairs if v.word != "cannot tell"]
    support = sum(v.word == want for v, want in told)
    if not told:
        return "cannot tell"
    if support == len(pairs):
        return "holds"
    return "does not hold" if support == 0 else "holds in part"


def judge_claims(record: dict) -> list[dict]:
    """One entry per claim and case: {"claim", "workload", "batch", "outcome", "evidence": [verdict texts]}."""
    check_dict("record", record)
    cases = dict.fromkeys((r["workload"], r["batch"]) for r in record["results"])
    rows = []
    for workload, batch in cases:
        cells = [r for r in record["results"] if (r["workload"], r["batch"]) == (workload, batch)]
        for claim, pairs in _comparisons(cells, workload, batch, record).items():
            rows.append({"claim": claim, "workload": workload, "batch": batch,
                         "outcome": outcome(pairs) if pairs else "cannot tell",
                         "evidence": [_evidence(v) for v, _ in pairs] or ["not measured in this run"]})
    return rows


def _evidence(v) -> str:
    """One comparison in one line: "Keras/TF vs tf.function: slower, ratio 1.96 (1.81-2.13, 9 paired rounds)"."""
    pair = f"{CONFIGS[v.a].label} vs {CONFIGS[v.b].label}: {v.word}"
    if v.interval is None:
        return f"{pair} ({v.basis})"
    return f"{pair}, ratio {v.ratio:.2f} ({v.interval[0]:.2f}-{v.interval[1]:.2f}, {v.basis})"


def claims_table(record: dict, evidence: bool = True) -> str:
    """The claims as text: "claim (workload, batch): outcome", then each comparison's verdict, indented."""
    lines = []
    for row in judge_claims(record):
        lines.append(f"{row['claim']} ({row['workload']}, batch {row['batch']}): {row['outcome']}")
        lines += [f"    {text}" for text in row["evidence"]] if evidence else []
    return "\n".join(lines)
