"""The 2019 speed claims, each judged in full on every case (workload, batch) of a benchmark record.

Used by notebook 02 (speed) and `python -m utils.bench`.

    print(claims_table(record))      # one line per claim and case: holds / holds in part / does not hold / cannot tell

Each claim is a set of comparisons, each decided by `verdict` (the series' judge for repeated measurements),
chosen by rule, never by hand: "Keras is slower" compares every Keras configuration with its native twin
(the same back end and kind of compiler) and the fastest Keras configuration with the fastest native one;
"TensorFlow and PyTorch are about equally fast" compares the fastest of each; "PyTorch for short training"
compares the fastest PyTorch configuration with the fastest of each other framework. A claim **holds** when
every comparison supports it, **does not hold** when none does and some contradict it, **holds in part**
when some do (or some cannot be told), and **cannot tell** when no comparison was decided. "Fastest" is among
the configurations the run timed, as users get them: Keras with `steps_per_execution` (a tuning, not a
default) is judged apart, against the same Keras configuration without it (`fix_table`).
"""

from __future__ import annotations

from utils.bench.configs import CONFIGS, NATIVE_TWIN, SPE_BASE
from utils.bench.record import MEASURED, find_cell
from utils.bench.verdict import verdict
from utils.checks import check_dict
from utils.tables import text_table

OUTCOMES = ("holds", "holds in part", "does not hold", "cannot tell")
KERAS_SLOWER = "Keras is slower"
TF_PYTORCH_EQUAL = "TensorFlow and PyTorch are about equally fast"
PYTORCH_SHORT = "PyTorch for short training duration"


def _fastest(cells: list, framework: str, native: bool = False) -> dict | None:
    """The measured cell with the lowest median of `framework` (native: of every API but Keras)."""
    mine = [c for c in cells if c["state"] in MEASURED and c["config"] not in SPE_BASE and
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


def judge_claims(record: dict, workload: str | None = None) -> list[dict]:
    """One entry per claim and case: {"claim", "workload", "batch", "outcome", "evidence": [verdict texts]}.

    workload: None (every case of the record) or one workload's cases.
    """
    check_dict("record", record)
    cases = dict.fromkeys((r["workload"], r["batch"]) for r in record["results"]
                          if workload is None or r["workload"] == workload)
    if not cases:
        raise ValueError(f"the record has no results on {workload!r}")
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


def claims_table(record: dict, evidence: bool = True, workload: str | None = None) -> str:
    """The claims as text: "claim (workload, batch): outcome", then each comparison's verdict, indented."""
    lines = []
    for row in judge_claims(record, workload):
        lines.append(f"{row['claim']} ({row['workload']}, batch {row['batch']}): {row['outcome']}")
        lines += [f"    {text}" for text in row["evidence"]] if evidence else []
    return "\n".join(lines)


def claims_grid(record: dict) -> str:
    """The claims' outcomes as a table: one row per case (workload, batch), one column per claim."""
    rows: dict = {}
    for row in judge_claims(record):
        case = (row["workload"], row["batch"])
        rows.setdefault(case, {"workload": row["workload"], "batch": row["batch"]})[row["claim"]] = row["outcome"]
    return text_table(list(rows.values()))


def fix_verdicts(record: dict, workload: str, batch: int) -> list:
    """Keras's `steps_per_execution` judged: each such configuration of the case against the same Keras
    configuration without it, and against that one's native twin where it has one (verdicts, in that order)."""
    check_dict("record", record)
    have = {r["config"] for r in record["results"] if (r["workload"], r["batch"]) == (workload, batch)}
    out = []
    for fixed, base in SPE_BASE.items():
        for other in (base, NATIVE_TWIN.get(base)):
            if fixed in have and other in have:
                out.append(verdict(record, fixed, other, workload, batch))
    return out


def fix_table(record: dict, workload: str, batch: int) -> str:
    """`fix_verdicts` as text: one line per comparison (word, ratio, interval, rounds), or why there is none."""
    judged = fix_verdicts(record, workload, batch)
    if not judged:
        spe = [c for c in SPE_BASE if any((r["config"], r["workload"], r["batch"]) == (c, workload, batch)
                                         for r in record["results"])]
        return f"no steps_per_execution comparison on {workload} at batch {batch}" + (
            f" ({', '.join(spe)} ran without its base configuration)" if spe else " (not run)")
    lines = []
    for v in judged:
        a = find_cell(record, v.a, workload, batch)
        lines.append(_evidence(v) + (f"; {1e3 * a['median_s']:.3f} ms/step" if a["median_s"] else ""))
    return "\n".join(lines)
