"""Reading a benchmark record: the results table and a verdict that knows when it cannot judge.

Used by notebook 02 (speed) and `python -m utils.bench`.

`verdict(record, a, b, workload, batch)` ranks two configurations only when both were measured, neither
was timed under contention, their interquartile ranges do not overlap and their medians differ by more
than MARGIN (a spread over `timing.MAX_SPREAD` does not matter then: the gap is wider than the noise).
Two cells within MARGIN are "about as fast" only when both spreads are within `timing.MAX_SPREAD` (a
wider spread could hide a real difference). Anything else is "cannot tell on this run", with the reason
and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from utils.bench.configs import CONFIGS
from utils.bench.record import MEASURED, find_cell
from utils.checks import check_dict, check_number
from utils.tables import text_table

MARGIN = 0.10  # medians within 10% of each other: about as fast
ADVICE = "close other programs (check `uptime`: the load should be well under 1) and run it again"


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing configuration `a` with `b`: a `word`, the median ratio a/b, and the text."""

    a: str
    b: str
    word: str  # "faster", "slower", "about as fast" or "cannot tell"
    ratio: float | None
    text: str

    def __str__(self) -> str:
        return self.text


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.3g} ms"


def _why_not(cell: dict) -> str | None:
    """Why this cell cannot be compared at all (None when it can)."""
    if cell["state"] == "failed":
        return f"{cell['label']} failed ({cell['reason']})"
    if cell["state"] == "unavailable":
        return f"{cell['label']} is not available on this machine ({cell['reason']})"
    if cell["state"] == "contended":
        return (f"{cell['label']} was timed while another program held the CPU "
                f"({100 * cell['contended_share']:.0f}% of its rounds)")
    return None


def _noisy(cells, max_spread: float) -> list[str]:
    return [f"{c['label']}'s spread (IQR/median) is {100 * c['spread']:.0f}%, over the {100 * max_spread:.0f}% limit"
            for c in cells if c["spread"] > max_spread]


def verdict(record: dict, a: str, b: str, workload: str, batch: int, margin: float = MARGIN) -> Verdict:
    """Compare configuration `a` with `b` on one workload and batch, only as far as this run allows.

    Returns:
        A Verdict whose text names both medians and, when it cannot rank them, why and what to do.
    Raises:
        TypeError/ValueError: a bad argument, or a cell the record does not hold.
    """
    check_dict("record", record)
    margin = check_number("margin", margin, minimum=0)
    ca, cb = find_cell(record, a, workload, batch), find_cell(record, b, workload, batch)
    max_spread = record["settings"]["max_spread"]
    where = f"on {workload} at batch {batch}"
    reasons = [r for r in (_why_not(ca), _why_not(cb)) if r]
    if reasons:
        advice = "" if "contended" not in (ca["state"], cb["state"]) else f"; {ADVICE}"
        return Verdict(a, b, "cannot tell", None, f"Cannot tell on this run {where}: " + "; ".join(reasons)
                       + advice + ".")
    ratio = ca["median_s"] / cb["median_s"]
    both = f"{ca['label']} {_ms(ca['median_s'])}, {cb['label']} {_ms(cb['median_s'])}"
    noisy = _noisy((ca, cb), max_spread)
    if max(ratio, 1 / ratio) <= 1 + margin and not noisy:
        return Verdict(a, b, "about as fast", ratio, f"About as fast {where}: {both} (within {100 * margin:.0f}%).")
    if max(ratio, 1 / ratio) <= 1 + margin:
        return Verdict(a, b, "cannot tell", ratio,
                       f"Cannot tell on this run {where}: {both}, within {100 * margin:.0f}%, but "
                       + "; ".join(noisy) + f", so a real difference could hide in the noise; {ADVICE}.")
    if ca["q1_s"] <= cb["q3_s"] and cb["q1_s"] <= ca["q3_s"]:
        return Verdict(a, b, "cannot tell", ratio,
                       f"Cannot tell on this run {where}: {both}, but their interquartile ranges overlap; "
                       f"{ADVICE}, or use more repeats.")
    word = "slower" if ratio > 1 else "faster"
    factor = ratio if ratio > 1 else 1 / ratio
    return Verdict(a, b, word, ratio, f"{ca['label']} is {factor:.2g}x {word} than {cb['label']} {where}: {both}.")


def contention_summary(record: dict) -> str:
    """One line: how many rounds were contended, the probe's median efficiency, and the CPU pressure."""
    check_dict("record", record)
    rounds = [r for r in record["rounds"] if "efficiency" in r]
    if not rounds:
        return "contention: not measured"
    hit = sum(r["contended"] for r in record["rounds"])
    pressure = [r["pressure"] for r in rounds if r["pressure"] is not None]
    text = (f"contention: {hit} of {len(record['rounds'])} rounds contended (probe parallel efficiency median "
            f"{np.median([r['efficiency'] for r in rounds]):.2f}, slowdown median "
            f"{np.median([r['slowdown'] for r in rounds]):.2f}x")
    text += f"; CPU pressure median {np.median(pressure):.0f}%)" if pressure else ")"
    return text + (" -> this run cannot rank the contended cells" if hit else " -> quiet")


def mark(cell: dict) -> str:
    """The state mark shown in tables: '' (ok), '! noisy 23%', '! contended', 'FAILED' or 'not available'."""
    return {"ok": "", "noisy": f"! noisy {100 * (cell['spread'] or 0):.0f}%", "contended": "! contended",
            "failed": "FAILED", "unavailable": "not available"}.get(cell["state"], cell["state"])


def results_table(record: dict, workload: str | None = None) -> str:
    """The results as a text table (one workload, or all), with the machine, peak and contention above it."""
    check_dict("record", record)
    m, s, peak = record["machine"], record["settings"], record["peak"]
    threads = s["threads_requested"] or f"all cores ({m['usable_cpus']})"
    head = [f"{m['cpu']}, {m['usable_cpus']} of {m['cpu_count']} CPUs usable; threads: {threads}; "
            f"{s['repeats']} rounds, configurations interleaved",
            "matmul peak " + (f"{peak['gflops']:.0f} GFLOP/s ({peak['library']})" if peak["gflops"]
                              else "not measured"),
            contention_summary(record)]
    rows = []
    for r in record["results"]:
        if workload is not None and r["workload"] != workload:
            continue
        row = {"workload": r["workload"], "batch": r["batch"], "configuration": r["label"]}
        if r["state"] not in MEASURED:
            rows.append({**row, "ms/step": "-", "IQR (ms)": "-", "% peak": "-", "first step s": "-",
                         "state": f"{mark(r)}: {r['reason'][:60]}"})
            continue
        rows.append({**row, "ms/step": f"{1e3 * r['median_s']:.3f}",
                     "IQR (ms)": f"{1e3 * r['q1_s']:.3f}-{1e3 * r['q3_s']:.3f}",
                     "% peak": "-" if r["share_of_peak"] is None else f"{100 * r['share_of_peak']:.1f}",
                     "first step s": f"{r['first_step_s']:.2f}", "state": mark(r)})
    if not rows:
        raise ValueError(f"workload == {workload!r}: the record has no results for it")
    return "\n".join(head) + "\n\n" + text_table(rows, align={"ms/step": ">", "IQR (ms)": ">", "% peak": ">",
                                                             "first step s": ">"}) + (
        f"\n! noisy: IQR/median over {100 * s['max_spread']:.0f}%; ! contended: timed while another program held "
        "the CPU, never ranked by the verdict.")


def keras_overhead_table(record: dict, workload: str, batch: int) -> str:
    """Keras through `fit` (ms/step) beside one `train_on_batch` call and the native twin on the same back end."""
    rows = []
    for r in record["results"]:
        if r["framework"] != "keras" or (r["workload"], r["batch"]) != (workload, batch) or r["state"] not in MEASURED:
            continue
        twin = CONFIGS.get(_twin(r["config"]))
        native = find_cell(record, twin.name, workload, batch) if twin and twin.name in record["settings"][
            "configs"] else None
        rows.append({"configuration": r["label"], "fit ms/step": f"{1e3 * r['median_s']:.3f}",
                     "train_on_batch ms/call": f"{1e3 * r['per_call_s']:.3f}" if r["per_call_s"] else "-",
                     "native twin": twin.label if twin else "-",
                     "twin ms/step": f"{1e3 * native['median_s']:.3f}" if native and native["median_s"] else "-"})
    if not rows:
        raise ValueError(f"the record has no Keras results on {workload} at batch {batch}")
    return text_table(rows)


def _twin(config: str) -> str | None:
    from utils.bench.configs import NATIVE_TWIN

    return NATIVE_TWIN.get(config)
