"""Verdicts that keep their own threshold: compare measured values and word the result from the numbers.

Used by notebooks 01 (level of API) and 03 (architecture), and by any notebook whose verdict ranks
measured sizes or counts (speed has its own, noise-aware rule in `utils.bench.verdict`).

    from utils import verdicts
    verdicts.judge({"Keras": 147, "PyTorch": 129}, "PyTorch", "Keras", close=0.25)
    # PyTorch 129 vs Keras 147: about the same (Keras is 1.14x PyTorch, within 25%)
    verdicts.ranking_line({"Keras": 147, "PyTorch": 129, "TensorFlow": 318}, close=0.25)
    # 'PyTorch 129 ≈ Keras 147 < TensorFlow 318'

The rule, one for every verdict: two positive values are "about the same" when the larger is at most
(1 + close) times the smaller; otherwise the first is "larger" or "smaller" than the second.
A ranking never disagrees with its pairwise words: sorted, neighbours within `close` of each other are
joined by "≈" (about the same) into a tier, and "<" separates tiers, so every value left of a "<" is
"smaller" than every value right of it. Inside a tier the ranking does not order: its ends can be more
than `close` apart (10 ≈ 12 ≈ 14.4 at 25%), judge them pairwise.

Repeated measurements (times, throughputs) are judged by `compare_repeats`, on the ratio's interval rather
than on two medians: when the rounds interleave the two configurations (notebook 02's kit runs every
configuration once per round, in a shuffled order), the per-round ratios are paired, so a slow period that
hits both cancels out; the interval is a bootstrap of their mean log-ratio over the rounds (as criterion.rs
and the RMIT method of Abedi & Brecht do); unpaired, of the median of every pairwise ratio. The decision
has three outcomes: one **leads** when the whole interval lies beyond the margin (REPEAT_MARGIN: 10%,
asv's factor 1.1), **about the same** when it lies inside, and **cannot tell** otherwise (too few or too
noisy rounds to say).

    verdicts.compare_repeats("PyTorch", [1.0, 1.1, 0.9], "Keras", [2.0, 2.3, 1.8], rounds=([0, 1, 2], [0, 1, 2]))

Three kinds of evidence, one rule each, all with the same three-way decision (leads / about the same /
cannot tell) and one `Verdict` shape (who leads, the estimate, its interval, the rule, why):
- exact counts (lines, tokens, formats): `compare_counts`, a margin only (CLOSE, 25%: two people's
  styles move a count of lines by that much, so a smaller gap says nothing about the framework);
- repeated measurements (times, throughputs, memory): `compare_repeats` above (REPEAT_MARGIN, 10%);
- scores over a handful of items (notebook 04's bugs, notebook 06's measures): `compare_items`, a
  bootstrap of the mean paired difference over the items (SCORE_MARGIN: a quarter of the scale, one
  point of 04's 0-4 message score), so one item more or less cannot flip a decided verdict;
- memory against data size (notebook 05): `compare_growth`, the same bootstrap of the paired difference
  of peaks at two dataset sizes, its margin a tenth of the data's growth (GROWTH_SHARE): a pipeline that
  holds the data grows by all of it, one that streams it by a few MB of buffers whatever the size.
A scenario's verdict across the three frameworks (`utils.scenarios`) is the best one's comparison with
each other one: the measuring notebooks record it, and notebook 07 reads it and never re-judges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from utils.checks import check_dict, check_int, check_number, check_str
from utils.exercises import explain_choice, report

CLOSE = 0.25  # the series' default for counts: within 25% counts as "about the same"
REPEAT_MARGIN = 0.10  # repeated measurements: a ratio within 10% is "about the same" (asv's factor 1.1)
CONFIDENCE = 0.95  # the ratio's interval from repeated measurements
RESAMPLES = 2000  # bootstrap resamples: the interval's ends move by well under 1% between seeds
MIN_REPEATS = 3  # fewer rounds (or items) than this cannot give an interval: "cannot tell"
SCORE_MARGIN = 0.25  # scores over items: a mean gap within a quarter of the scale is "about the same"
WEIGHTED_MARGIN = 0.10  # notebook 07's weighted totals of shares (0-1): closer than this, "cannot tell"
GROWTH_SHARE = 0.10  # memory that grows by at most a tenth of the data's growth does not follow the data
WORDS = ("about the same", "larger", "smaller")


def positive_values(values) -> dict[str, float]:
    """`values` if it is a non-empty {name: positive number}; else TypeError/ValueError saying what was expected."""
    check_dict("values", values)
    if not values:
        raise ValueError("values is empty: give at least one {name: measured value}")
    for name, value in values.items():
        check_str("values key", name)
        check_number(f"values[{name!r}]", value, minimum=0, inclusive=False)
    return values


def short_number(value) -> str:
    """A count as it is ("23"), any other number to 3 significant digits ("0.175")."""
    return f"{value:g}" if isinstance(value, int) or float(value).is_integer() else f"{value:.3g}"


@dataclass(frozen=True)
class Comparison:
    """`a` against `b` under the rule above: `word` is "about the same", "larger" or "smaller"."""

    a: str
    b: str
    value_a: float
    value_b: float
    close: float

    @property
    def ratio(self) -> float:
        """value_a / value_b."""
        return self.value_a / self.value_b

    @property
    def word(self) -> str:
        if max(self.ratio, 1 / self.ratio) <= 1 + self.close:
            return "about the same"
        return "larger" if self.ratio > 1 else "smaller"

    def __str__(self) -> str:
        big, small = (self.a, self.b) if self.ratio >= 1 else (self.b, self.a)
        factor = max(self.ratio, 1 / self.ratio)
        both = f"{self.a} {short_number(self.value_a)} vs {self.b} {short_number(self.value_b)}"
        if self.word == "about the same":
            return f"{both}: about the same ({big} is {factor:.2f}x {small}, within {self.close:.0%})"
        return f"{both}: {self.a} is {factor:.2f}x {self.word} (more than {self.close:.0%} apart)"


def judge(values: dict, a: str, b: str, close: float = CLOSE) -> Comparison:
    """Compare values[a] with values[b]: "about the same" within `close`, else "larger" or "smaller"."""
    values = positive_values(values)
    close = check_number("close", close, minimum=0)
    for name in (a, b):
        if name not in values:
            raise KeyError(f"{name!r} is not among the values: {sorted(values)}")
    return Comparison(a, b, values[a], values[b], close)


def tiers(values: dict, close: float = CLOSE) -> list[list[str]]:
    """The names from smallest to largest value, in tiers of neighbours that are about the same (see above)."""
    values = positive_values(values)
    close = check_number("close", close, minimum=0)
    groups: list[list[str]] = []
    for name in sorted(values, key=values.get):
        if groups and values[name] <= (1 + close) * values[groups[-1][-1]]:
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


def ranking_line(values: dict, close: float = CLOSE) -> str:
    """The tiers as one line, smallest first: "A 10 ≈ B 11 < C 30" ("<": every pair across it is apart)."""
    return " < ".join(" ≈ ".join(f"{name} {short_number(values[name])}" for name in tier)
                      for tier in tiers(values, close))


def check_judgement(name: str, answer, values: dict, a: str, b: str, close: float = CLOSE, hint: str = ""):
    """An exercise check: the learner predicts judge(values, a, b, close).word; the answer is computed here.

    A wrong answer is explained (how the rule decides), never told the right word.
    """
    expected = judge(values, a, b, close)
    reason = explain_choice(answer, expected.word, WORDS,  # explained, never answered: the learner measures again
                            why=f"not what the measured values say: divide the larger of {a}'s and {b}'s values "
                                f"by the smaller; at most {1 + close:g} means \"about the same\"")
    return report(name, reason, hint)


@dataclass(frozen=True)
class RepeatVerdict:
    """`a` against `b` from repeated measurements: the ratio a/b, its interval, and the three-way word.

    `word` is "leads" (then `leader` names who: the smaller value when lower is better), "about the same"
    or "cannot tell"; `ratio` and `interval` are a/b (None when there were too few repeats); `why` says it
    in words computed from the numbers.
    """

    a: str
    b: str
    word: str
    leader: str | None
    ratio: float | None
    interval: tuple[float, float] | None
    paired: bool
    repeats: int
    margin: float
    why: str

    def __str__(self) -> str:
        return self.why


def positive_samples(name: str, values) -> np.ndarray:
    """`values` as a flat float array of positive finite measurements; TypeError/ValueError naming `name`."""
    try:
        out = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list of positive numbers, got {type(values).__name__}") from None
    if not np.all(np.isfinite(out) & (out > 0)):
        raise ValueError(f"{name} must hold positive finite numbers (times, throughputs), got {out[:5]}")
    return out


def _log_ratios(a, b, rounds) -> tuple[np.ndarray, bool]:
    """Per-round log(a/b) when `rounds` pairs them (the rounds both were measured in), else None."""
    if rounds is None:
        return None, False
    ra, rb = (np.asarray(r).ravel() for r in rounds)
    if len(ra) != len(a) or len(rb) != len(b):
        raise ValueError("rounds must give one round index per sample of a and of b")
    common = sorted(set(ra.tolist()) & set(rb.tolist()))
    by_a, by_b = dict(zip(ra.tolist(), a, strict=True)), dict(zip(rb.tolist(), b, strict=True))
    return np.log([by_a[r] / by_b[r] for r in common]), True


def _interval(x: np.ndarray, y: np.ndarray, logs, rng) -> tuple[float, float, float]:
    """The ratio x/y and its interval: of the mean paired log-ratio (`logs`), else of the median of every
    pairwise log-ratio (Hodges-Lehmann: steadier than a ratio of two medians of a handful of rounds)."""
    if logs is not None:
        ratio, boot = math.exp(logs.mean()), rng.choice(logs, size=(RESAMPLES, len(logs))).mean(axis=1)
    else:
        def pairwise(a, b):
            return np.median((np.log(a)[..., :, None] - np.log(b)[..., None, :]).reshape(*a.shape[:-1], -1), axis=-1)

        ratio = math.exp(pairwise(x, y))
        boot = pairwise(rng.choice(x, (RESAMPLES, len(x))), rng.choice(y, (RESAMPLES, len(y))))
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = (math.exp(v) for v in np.percentile(boot, [tail, 100 - tail]))
    return ratio, low, high


def compare_repeats(a: str, samples_a, b: str, samples_b, rounds=None, margin: float = REPEAT_MARGIN,
                    lower_is_better: bool = True, seed: int = 0) -> RepeatVerdict:
    """Judge `a` against `b` from repeated measurements, by the interval of the ratio a/b (see the module).

    Args:
        samples_a, samples_b: positive measurements (times, or throughputs with lower_is_better=False).
        rounds: (round index of each sample of a, of each sample of b): pairs the samples taken in the same
            round; without it the samples are resampled independently (median of the pairwise ratios).
        margin: a ratio within (1 + margin) either way is "about the same".
    The resampling runs in one order of the two names, so a against b is always b against a, inverted.
    """
    check_str("a", a)
    check_str("b", b)
    sa, sb = positive_samples("samples_a", samples_a), positive_samples("samples_b", samples_b)
    margin = check_number("margin", margin, minimum=0)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    flip = b < a
    x, y = (sb, sa) if flip else (sa, sb)
    logs, paired = _log_ratios(x, y, None if rounds is None else tuple(rounds)[::-1] if flip else rounds)
    n = len(logs) if paired else min(len(sa), len(sb))
    how = f"{n} paired rounds" if paired else f"{len(sa)} and {len(sb)} unpaired repeats"
    if n < MIN_REPEATS:
        return RepeatVerdict(a, b, "cannot tell", None, None, None, paired, n, margin,
                             f"{a} vs {b}: cannot tell from {how} (at least {MIN_REPEATS} are needed)")
    ratio, low, high = _interval(x, y, logs if paired else None, rng)
    if flip:
        ratio, low, high = 1 / ratio, 1 / high, 1 / low
    numbers = f"{a}/{b} = {ratio:.2f}, {CONFIDENCE:.0%} interval {low:.2f}-{high:.2f}, from {how}"
    if 1 / (1 + margin) <= low and high <= 1 + margin:
        return RepeatVerdict(a, b, "about the same", None, ratio, (low, high), paired, n, margin,
                             f"{a} and {b}: about the same ({numbers}: within {margin:.0%})")
    if high < 1 / (1 + margin) or low > 1 + margin:
        smaller = a if high < 1 else b
        leader = smaller if lower_is_better else (b if smaller == a else a)
        return RepeatVerdict(a, b, "leads", leader, ratio, (low, high), paired, n, margin,
                             f"{leader} leads ({numbers}: the whole interval is beyond {margin:.0%})")
    return RepeatVerdict(a, b, "cannot tell", None, ratio, (low, high), paired, n, margin,
                         f"{a} vs {b}: cannot tell ({numbers}: the interval crosses the {margin:.0%} margin)")


@dataclass(frozen=True)
class Verdict:
    """`a` against `b` under one of the three rules: the word, who leads, the estimate and why.

    `word` is "leads" (`leader` names who), "about the same" or "cannot tell"; `estimate` is a/b for
    counts, the mean paired difference a - b for item scores; `interval` is None for exact counts.
    """

    a: str
    b: str
    word: str
    leader: str | None
    estimate: float | None
    interval: tuple[float, float] | None
    margin: float
    rule: str
    why: str

    def __str__(self) -> str:
        return self.why


def compare_counts(a: str, value_a, b: str, value_b, close: float = CLOSE, lower_is_better: bool = True) -> Verdict:
    """Judge two exact counts: "about the same" when the larger is at most (1 + close) times the smaller."""
    c = judge({a: value_a, b: value_b} if a != b else {a: value_a}, a, b, close)
    rule = f"exact counts: within {close:.0%} is about the same"
    if c.word == "about the same":
        return Verdict(a, b, c.word, None, c.ratio, None, close, rule, str(c))
    leader = a if (c.word == "smaller") == lower_is_better else b
    return Verdict(a, b, "leads", leader, c.ratio, None, close, rule, f"{leader} leads ({c})")


def compare_items(a: str, scores_a, b: str, scores_b, scale: float, margin: float = SCORE_MARGIN,
                  higher_is_better: bool = True, seed: int = 0) -> Verdict:
    """Judge two frameworks' scores on the same items (paired by position) by the mean difference a - b.

    Args:
        scores_a, scores_b: one finite score per item, the same items in the same order.
        scale: the score's full range (4 for a 0-4 score); the margin is `margin` * scale.
    The interval resamples the items: "leads" when it lies wholly beyond the margin, "about the same"
    when wholly inside, "cannot tell" otherwise or with fewer than MIN_REPEATS items.
    """
    check_str("a", a)
    check_str("b", b)
    try:
        x, y = (np.asarray(v, dtype=float).ravel() for v in (scores_a, scores_b))
    except (TypeError, ValueError):
        raise TypeError("scores_a and scores_b must be lists of numbers, one per item") from None
    if len(x) != len(y) or not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
        raise ValueError(f"scores_a and scores_b must hold one finite score per item, the same items "
                         f"(got {len(x)} and {len(y)})")
    scale = check_number("scale", scale, minimum=0, inclusive=False)
    margin = check_number("margin", margin, minimum=0)
    width = margin * scale
    rule = f"scores over items: a mean gap within {margin:.0%} of the scale ({width:g} of {scale:g}) is about the same"
    n = len(x)
    if n < MIN_REPEATS:
        return Verdict(a, b, "cannot tell", None, None, None, margin, rule,
                       f"{a} vs {b}: cannot tell from {n} items (at least {MIN_REPEATS} are needed)")
    return _paired_gap(a, x, b, y, width, rule, f"of {scale:g}", "items", higher_is_better, seed, margin)


def _paired_gap(a, x, b, y, width, rule, unit, what, higher_is_better, seed, margin) -> Verdict:
    """The mean paired difference x - y, its bootstrap interval, and the three-way word against +-width."""
    diff = x - y
    n = len(diff)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    boot = rng.choice(diff, size=(RESAMPLES, n)).mean(axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = (float(v) for v in np.percentile(boot, [tail, 100 - tail]))
    gap = float(diff.mean())
    numbers = f"{a} - {b} = {gap:+.2f} {unit}, {CONFIDENCE:.0%} interval {low:+.2f} to {high:+.2f}, over {n} {what}"
    if -width <= low and high <= width:
        return Verdict(a, b, "about the same", None, gap, (low, high), margin, rule,
                       f"{a} and {b}: about the same ({numbers}: within {width:g})")
    if low > width or high < -width:
        leader = a if (low > width) == higher_is_better else b
        return Verdict(a, b, "leads", leader, gap, (low, high), margin, rule,
                       f"{leader} leads ({numbers}: the whole interval is beyond {width:g})")
    return Verdict(a, b, "cannot tell", None, gap, (low, high), margin, rule,
                   f"{a} vs {b}: cannot tell ({numbers}: the interval crosses the {width:g} margin)")


def compare_growth(a: str, peaks_a, b: str, peaks_b, data_growth: float, share: float = GROWTH_SHARE,
                   seed: int = 0) -> Verdict:
    """Does memory follow the data's size? Peaks at the larger dataset (`a`) against the smaller (`b`), paired.

    Args:
        peaks_a, peaks_b: peak memory (MB) in each round, at the larger and at the smaller dataset.
        data_growth: how much larger the larger dataset is (MB); the margin is `share` of it.
    Returns:
        "about the same" (flat: the memory does not follow the data), "leads" with `a` as leader (it grows
        with the data; `b` when it shrinks), or "cannot tell" (fewer than MIN_REPEATS rounds, or too noisy).
    """
    check_str("a", a)
    check_str("b", b)
    x, y = positive_samples("peaks_a", peaks_a), positive_samples("peaks_b", peaks_b)
    if len(x) != len(y):
        raise ValueError(f"peaks_a and peaks_b must hold one peak per round, the same rounds "
                         f"(got {len(x)} and {len(y)})")
    growth = check_number("data_growth", data_growth, minimum=0, inclusive=False)
    share = check_number("share", share, minimum=0)
    width = share * growth
    rule = (f"memory against data size: a peak growth within {share:.0%} of the data's growth "
            f"({width:.3g} of {growth:.3g} MB) is about the same (flat)")
    if len(x) < MIN_REPEATS:
        return Verdict(a, b, "cannot tell", None, None, None, share, rule,
                       f"{a} vs {b}: cannot tell from {len(x)} rounds (at least {MIN_REPEATS} are needed)")
    return _paired_gap(a, x, b, y, width, rule, "MB", "rounds", True, seed, share)
