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
A ranking groups values into tiers: each tier starts at its smallest value and holds every value
within `close` of that one, so "about the same" never chains across a whole ranking.
"""

from __future__ import annotations

from dataclasses import dataclass

from utils.checks import check_dict, check_number, check_str
from utils.exercises import explain_choice, report

CLOSE = 0.25  # the series' default: within 25% counts as "about the same"
WORDS = ("about the same", "larger", "smaller")


def _values(values) -> dict[str, float]:
    check_dict("values", values)
    if not values:
        raise ValueError("values is empty: give at least one {name: measured value}")
    for name, value in values.items():
        check_str("values key", name)
        check_number(f"values[{name!r}]", value, minimum=0, inclusive=False)
    return values


def _number(value) -> str:
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
        both = f"{self.a} {_number(self.value_a)} vs {self.b} {_number(self.value_b)}"
        if self.word == "about the same":
            return f"{both}: about the same ({big} is {factor:.2f}x {small}, within {self.close:.0%})"
        return f"{both}: {self.a} is {factor:.2f}x {self.word} (more than {self.close:.0%} apart)"


def judge(values: dict, a: str, b: str, close: float = CLOSE) -> Comparison:
    """Compare values[a] with values[b]: "about the same" within `close`, else "larger" or "smaller"."""
    values = _values(values)
    close = check_number("close", close, minimum=0)
    for name in (a, b):
        if name not in values:
            raise KeyError(f"{name!r} is not among the values: {sorted(values)}")
    return Comparison(a, b, values[a], values[b], close)


def tiers(values: dict, close: float = CLOSE) -> list[list[str]]:
    """The names from smallest to largest value, grouped into tiers of "about the same" (see above)."""
    values = _values(values)
    close = check_number("close", close, minimum=0)
    groups: list[list[str]] = []
    for name in sorted(values, key=values.get):
        if groups and values[name] <= (1 + close) * values[groups[-1][0]]:
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


def ranking_line(values: dict, close: float = CLOSE) -> str:
    """The tiers as one line, smallest first: "A 10 ≈ B 11 < C 30"."""
    return " < ".join(" ≈ ".join(f"{name} {_number(values[name])}" for name in tier)
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
