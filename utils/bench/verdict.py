"""Reading a benchmark record: the results table and a verdict that knows when it cannot judge.

Used by notebook 02 (speed) and `python -m utils.bench`.

`verdict(record, a, b, workload, batch)` is the series' judge for repeated measurements
(`utils.verdicts.compare_repeats`) applied to two cells: the ratio of their step times with its 95%
interval, paired round by round where the two configurations were timed in the same rounds (the kit
interleaves them, so a slow period that hits both cancels out), leaving out the rounds another program
held the CPU in. "Faster" or "slower" when the whole interval is beyond the 10% margin, "about as fast"
when it lies inside, "cannot tell on this run" otherwise, with the reason and what to do. A cell's spread
(`! noisy`) is information for the reader, not a veto: the interval already carries the noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from utils.bench.configs import CONFIGS
from utils.bench.record import MEASURED, find_cell
from utils.checks import check_dict, check_number
from utils.tables import text_table
from utils.verdicts import MIN_REPEATS, compare_repeats
from utils.verdicts import REPEAT_MARGIN as MARGIN

ADVICE = "close other programs (check `uptime`: the load should be well under 1) and run it again"


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing configuration `a` with `b`: a `word`, the ratio a/b with its interval, the text."""

    a: str
    b: str
    word: str  # "faster", "slower", "about as fast" or "cannot tell"
    ratio: float | None
    text: str
    interval: tuple[float, float] | None = None
    basis: str = ""  # the rounds the interval came from ("9 paired rounds"), or why there is none

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
    return None


def clean_samples(cell: dict, contended: set) -> tuple[list, list]:
    """The cell's samples and round indices, without the rounds another program held the CPU in."""
    kept = [(s, r) for s, r in zip(cell["samples_s"], cell["rounds"], strict=True) if r not in contended]
    return [s for s, _ in kept], [r for _, r in kept]


def verdict(record: dict, a: str, b: str, workload: str, batch: int, margin: float = MARGIN) -> Verdict:
    """Compare configuration `a` with `b` on one workload and batch, only as far as this run allows.

    Returns:
        A Verdict whose text names both medians, the ratio's interval and the rounds it came from, and,
        when it cannot rank them, why and what to do.
    Raises:
        TypeError/ValueError: a bad argument, or a cell the record does not hold.
    """
    check_dict("record", record)
    margin = check_number("margin", margin, minimum=0)
    ca, cb = find_cell(record, a, workload, batch), find_cell(record, b, workload, batch)
    where = f"on {workload} at batch {batch}"
    reasons = [r for r in (_why_not(ca), _why_not(cb)) if r]
    if reasons:
        return Verdict(a, b, "cannot tell", None, f"Cannot tell on this run {where}: " + "; ".join(reasons) + ".",
                       basis="; ".join(reasons))
    contended = {i for i, r in enumerate(record["rounds"]) if r.get("contended")}
    (sa, ra), (sb, rb) = clean_samples(ca, contended), clean_samples(cb, contended)
    left_out = len(ca["samples_s"]) - len(sa) + len(cb["samples_s"]) - len(sb)
    busy = f"; {left_out} samples left out, timed while another program held the CPU" if left_out else ""
    both = f"{ca['label']} {_ms(ca['median_s'])}, {cb['label']} {_ms(cb['median_s'])}"
    if min(len(sa), len(sb)) < MIN_REPEATS:
        return Verdict(a, b, "cannot tell", None, f"Cannot tell on this run {where}: {both}, but fewer than "
                       f"{MIN_REPEATS} rounds were free of other programs{busy}; {ADVICE}.",
                       basis=f"fewer than {MIN_REPEATS} rounds free of other programs")
    paired = len(set(ra) & set(rb)) >= MIN_REPEATS
    judged = compare_repeats(ca["label"], sa, cb["label"], sb, rounds=(ra, rb) if paired else None, margin=margin)
    low, high = judged.interval
    rounds = f"{judged.repeats} paired rounds" if paired else f"{len(sa)} and {len(sb)} unpaired rounds"
    numbers = f"{both}; ratio {judged.ratio:.2f}, 95% interval {low:.2f}-{high:.2f}, from {rounds}{busy}"
    if judged.word == "leads":
        word = "faster" if judged.ratio < 1 else "slower"
        factor = max(judged.ratio, 1 / judged.ratio)
        return Verdict(a, b, word, judged.ratio, f"{ca['label']} is {factor:.2g}x {word} than {cb['label']} {where}"
                       f" ({numbers}).", judged.interval, rounds)
    if judged.word == "about the same":
        return Verdict(a, b, "about as fast", judged.ratio, f"About as fast {where}: {numbers} (within "
                       f"{100 * margin:.0f}%).", judged.interval, rounds)
    return Verdict(a, b, "cannot tell", judged.ratio, f"Cannot tell on this run {where}: {numbers}: the interval "
                   f"crosses the {100 * margin:.0f}% margin; {ADVICE}, or use more rounds.", judged.interval, rounds)


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
    m, s = record["machine"], record["settings"]
    threads = s["threads_requested"] or f"all cores ({m['usable_cpus']})"
    head = [f"{m['cpu']}, {m['usable_cpus']} of {m['cpu_count']} CPUs usable; threads: {threads}; "
            f"{s['repeats']} rounds, configurations interleaved",
            peak_line(record),
            contention_summary(record)] + ([cost_line(record)] if record.get("phases_s") else [])
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


def peak_line(record: dict) -> str:
    """One line: the matmul peak, the library that measured it, its size, and whether this run measured it."""
    peak = record["peak"]
    if not peak.get("gflops"):
        return "matmul peak not measured"
    size = peak.get("size") or record["settings"].get("matmul_size")
    where = peak.get("measured", "measured in this run")
    return (f"matmul peak {peak['gflops']:.0f} GFLOP/s ({peak['library']}, {size}x{size} float32, {where}): "
            "the 100% of every '% peak'")


def cost_line(record: dict) -> str:
    """One line: what the run itself cost, by phase (wall seconds), from the record's own clocks."""
    check_dict("record", record)
    p = record["phases_s"]
    return (f"this run: {record['wall_s']:.0f} s (starting processes {p['start']:.0f} s, warm-up and compiles "
            f"{p['warm_up']:.0f} s, matmul peak {p['peak']:.0f} s, {record['settings']['repeats'] + 1} rounds "
            f"{p['rounds']:.0f} s)")


def keras_overhead_table(record: dict, workload: str, batch: int) -> str:
    """Keras through `fit` (ms/step) beside one `train_on_batch` call, the per-step cost of its data feed
    (drawing the ready batch through fit's data adapter: JAX and torch; inside the graph on TensorFlow) and
    the native twin on the same back end."""
    rows = []
    for r in record["results"]:
        if r["framework"] != "keras" or (r["workload"], r["batch"]) != (workload, batch) or r["state"] not in MEASURED:
            continue
        twin = CONFIGS.get(_twin(r["config"]))
        try:
            native = find_cell(record, twin.name, workload, batch) if twin else None
        except ValueError:  # not part of this run
            native = None
        feed = (f"{1e3 * r['feed_s']:.3f}" if r.get("feed_s") else
                "in graph" if r["process"] == "tensorflow" else "-")
        rows.append({"configuration": r["label"], "fit ms/step": f"{1e3 * r['median_s']:.3f}", "feed ms/step": feed,
                     "train_on_batch ms/call": f"{1e3 * r['per_call_s']:.3f}" if r["per_call_s"] else "-",
                     "native twin": twin.label if twin else "-",
                     "twin ms/step": f"{1e3 * native['median_s']:.3f}" if native and native["median_s"] else "-"})
    if not rows:
        raise ValueError(f"the record has no Keras results on {workload} at batch {batch}")
    return text_table(rows)


def _twin(config: str) -> str | None:
    from utils.bench.configs import NATIVE_TWIN, SPE_BASE

    return NATIVE_TWIN.get(SPE_BASE.get(config, config))
