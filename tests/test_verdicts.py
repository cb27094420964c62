"""utils.verdicts: the 'about the same' rule, rankings in tiers, and the prediction check."""

import numpy as np
import pytest

from utils import scenarios, verdicts

SIZES = {"Keras": 147, "TensorFlow": 318, "PyTorch": 129}


def test_within_the_threshold_is_about_the_same_and_the_words_come_from_the_numbers():
    c = verdicts.judge(SIZES, "PyTorch", "Keras", close=0.25)
    assert c.word == "about the same" and c.ratio == pytest.approx(129 / 147)
    assert str(c) == "PyTorch 129 vs Keras 147: about the same (Keras is 1.14x PyTorch, within 25%)"
    # the same 14% gap with a 10% threshold is a ranking
    tight = verdicts.judge(SIZES, "Keras", "PyTorch", close=0.10)
    assert tight.word == "larger"
    assert str(tight) == "Keras 147 vs PyTorch 129: Keras is 1.14x larger (more than 10% apart)"
    assert verdicts.judge(SIZES, "Keras", "TensorFlow").word == "smaller"


def test_the_threshold_is_inclusive_and_symmetric():
    assert verdicts.judge({"a": 100, "b": 125}, "a", "b", close=0.25).word == "about the same"
    assert verdicts.judge({"a": 125, "b": 100}, "a", "b", close=0.25).word == "about the same"
    assert verdicts.judge({"a": 100, "b": 126}, "a", "b", close=0.25).word == "smaller"
    assert verdicts.judge({"a": 3, "b": 3}, "a", "b", close=0).word == "about the same"


def test_tiers_join_neighbours_and_a_ranking_never_disagrees_with_its_pairwise_words():
    assert verdicts.tiers(SIZES, close=0.25) == [["PyTorch", "Keras"], ["TensorFlow"]]
    assert verdicts.ranking_line(SIZES, close=0.25) == "PyTorch 129 ≈ Keras 147 < TensorFlow 318"
    # notebook 01's lines: 21 vs 23 is about the same, so 23 may not sit behind a "<" from 21
    lines = {"Keras custom train_step": 17, "PyTorch": 21, "TensorFlow": 23}
    assert verdicts.ranking_line(lines) == "Keras custom train_step 17 ≈ PyTorch 21 ≈ TensorFlow 23"
    assert verdicts.ranking_line({"x": 1.5, "y": 2.25}, close=0) == "x 1.5 < y 2.25"
    rng = np.random.default_rng(0)
    for _ in range(300):
        values = {f"v{i}": float(v) for i, v in enumerate(rng.uniform(1, 3, size=rng.integers(2, 7)))}
        tiers = verdicts.tiers(values)
        for i, tier in enumerate(tiers):
            for a, b in zip(tier, tier[1:], strict=False):  # neighbours inside a tier: about the same
                assert verdicts.judge(values, a, b).word == "about the same"
            for later in tiers[i + 1:]:  # across a "<": every pair apart, in that order
                assert all(verdicts.judge(values, a, b).word == "smaller" for a in tier for b in later)


def test_prediction_check_computes_its_answer_and_explains_a_wrong_one(capsys):
    assert verdicts.check_judgement("3: size", "About the same", SIZES, "PyTorch", "Keras")
    assert "Exercise 3: size: correct" in capsys.readouterr().out
    assert not verdicts.check_judgement("3: size", "smaller", SIZES, "PyTorch", "Keras", hint="see the rule")
    out = capsys.readouterr().out
    assert "'smaller' is not what the measured values say" in out and "at most 1.25" in out
    assert "about the same" not in out.replace('means "about the same"', "")  # the right word is not told
    assert "Hint: see the rule" in out
    for bad in (..., None, 3, "bigger", ["larger"]):
        assert not verdicts.check_judgement("3: size", bad, SIZES, "PyTorch", "Keras")
        assert "not yet" in capsys.readouterr().out


@pytest.mark.parametrize("call, error, message", [
    (lambda: verdicts.judge({}, "a", "b"), ValueError, "values is empty"),
    (lambda: verdicts.judge([1, 2], "a", "b"), TypeError, "values must be a dict"),
    (lambda: verdicts.judge({"a": 0, "b": 1}, "a", "b"), ValueError, r"values\['a'\]"),
    (lambda: verdicts.judge({"a": "7", "b": 1}, "a", "b"), TypeError, r"values\['a'\]"),
    (lambda: verdicts.judge(SIZES, "Keras", "JAX"), KeyError, "'JAX' is not among the values"),
    (lambda: verdicts.judge(SIZES, "Keras", "PyTorch", close=-0.1), ValueError, "close"),
    (lambda: verdicts.tiers(SIZES, close="wide"), TypeError, "close"),
    (lambda: verdicts.check_judgement("1: x", "larger", SIZES, "Keras", "JAX"), KeyError, "JAX"),
])
def test_bad_arguments_are_rejected_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- repeated measurements: the interval of the ratio, paired by round --------------------------------------

def _rounds(n):
    return list(range(n)), list(range(n))


def _paired(rng, n, gap, noise, shared=0.0, drift=0.0):
    """n rounds of two configurations: b = gap x a; each sample has its own noise, plus a shared slow factor."""
    slow = np.exp(rng.normal(0, shared, n)) * (1 + drift * np.arange(n))  # hits both configurations of a round
    a = 1e-3 * slow * np.exp(rng.normal(0, noise, n))
    b = gap * 1e-3 * slow * np.exp(rng.normal(0, noise, n))
    return a, b


def test_identical_distributions_are_ranked_in_at_most_5_percent_of_seeds():
    ranked = sum(verdicts.compare_repeats("a", a, "b", b, rounds=_rounds(9), seed=s).word == "leads"
                 for s in range(200) for a, b in [_paired(np.random.default_rng(s), 9, 1.0, 0.10)])
    assert ranked <= 10


def test_a_1_5x_gap_with_10_percent_noise_over_9_paired_rounds_is_decided_in_95_percent():
    found = [verdicts.compare_repeats("a", a, "b", b, rounds=_rounds(9), seed=s)
             for s in range(200) for a, b in [_paired(np.random.default_rng(s), 9, 1.5, 0.10)]]
    assert sum(v.word == "leads" and v.leader == "a" for v in found) >= 190
    assert not any(v.leader == "b" for v in found)


def test_a_1_3x_gap_under_20_percent_shared_noise_is_decided():
    found = [verdicts.compare_repeats("a", a, "b", b, rounds=_rounds(9), seed=s)
             for s in range(100) for a, b in [_paired(np.random.default_rng(s), 9, 1.3, 0.03, shared=0.20)]]
    assert sum(v.leader == "a" for v in found) >= 95


def test_a_slow_period_or_drift_shared_by_both_does_not_turn_a_tie_into_a_ranking():
    for s in range(50):
        a, b = _paired(np.random.default_rng(s), 9, 1.0, 0.02, shared=0.30, drift=0.2)
        assert verdicts.compare_repeats("a", a, "b", b, rounds=_rounds(9), seed=s).word == "about the same"
        # unpaired, the same samples cannot rule the shared noise out
        assert verdicts.compare_repeats("a", a, "b", b, seed=s).word != "leads"


def test_only_the_rounds_both_were_measured_in_are_paired_and_too_few_cannot_tell():
    v = verdicts.compare_repeats("a", [1.0, 1.0, 1.0, 5.0], "b", [2.0, 2.0, 2.0], rounds=([0, 1, 2, 3], [0, 1, 2]))
    assert v.repeats == 3 and v.leader == "a" and v.ratio == pytest.approx(0.5)
    few = verdicts.compare_repeats("a", [1.0, 1.0], "b", [2.0, 2.0], rounds=([0, 1], [0, 1]))
    assert few.word == "cannot tell" and "at least 3" in str(few)


def test_higher_is_better_names_the_larger_as_leader_and_the_text_gives_the_numbers():
    v = verdicts.compare_repeats("fast", [200.0, 210, 190, 205], "slow", [100.0, 105, 95, 100], rounds=_rounds(4),
                                 lower_is_better=False)
    assert v.leader == "fast"
    assert str(v).startswith("fast leads (fast/slow = 2.01, 95% interval 2.00-2.04, from 4 paired rounds")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"samples_a": [1.0, -1.0, 2.0]}, ValueError, "positive finite"),
    ({"samples_a": "fast"}, TypeError, "list of positive numbers"),
    ({"rounds": ([0, 1], [0, 1, 2])}, ValueError, "one round index per sample"),
    ({"margin": -0.1}, ValueError, "margin"),
])
def test_bad_repeats_are_rejected(kwargs, error, message):
    args = {"a": "a", "samples_a": [1.0, 1.1, 0.9], "b": "b", "samples_b": [1.0, 1.0, 1.0]} | kwargs
    with pytest.raises(error, match=message):
        verdicts.compare_repeats(**args)


def test_a_against_b_is_b_against_a_inverted_paired_or_not():
    rng = np.random.default_rng(3)
    for rounds in (None, _rounds(7)):
        for gap in (1.0, 1.12, 1.4):
            x, y = rng.lognormal(0, 0.2, 7), gap * rng.lognormal(0, 0.2, 7)
            ab = verdicts.compare_repeats("Keras/JAX", x, "PyTorch eager", y, rounds=rounds)
            ba = verdicts.compare_repeats("PyTorch eager", y, "Keras/JAX", x, rounds=rounds)
            assert (ab.word, ab.leader) == (ba.word, ba.leader)
            assert ab.ratio == pytest.approx(1 / ba.ratio)
            assert ab.interval == pytest.approx((1 / ba.interval[1], 1 / ba.interval[0]))


FRAMEWORKS = ("Keras", "TensorFlow", "PyTorch")


def test_counts_scenario_names_the_leader_a_tie_or_all_three_from_the_counts():
    lines = scenarios.counts_scenario({"Keras": 9, "TensorFlow": 23, "PyTorch": 21}, "lines of code")
    assert lines["verdict"] == "Keras" and lines["decided"] and lines["leaders"] == ["Keras"]
    assert lines["evidence"] == "lines of code: Keras 9, TensorFlow 23, PyTorch 21"
    assert lines["scores"] == {"Keras": 1.0, "TensorFlow": round(9 / 23, 3), "PyTorch": round(9 / 21, 3)}
    tokens = scenarios.counts_scenario({"Keras": 147, "TensorFlow": 318, "PyTorch": 129}, "tokens")
    assert tokens["verdict"] == "Keras and PyTorch"  # 147 / 129 = 1.14: within 25%
    assert scenarios.counts_scenario({"Keras": 10, "TensorFlow": 11, "PyTorch": 12}, "x")["verdict"] == "all three"
    more = scenarios.counts_scenario({"Keras": 3, "TensorFlow": 1, "PyTorch": 1}, "back ends", lower_is_better=False)
    assert more["verdict"] == "Keras" and more["scores"]["PyTorch"] == round(1 / 3, 3)


def test_items_scenario_decides_a_clear_gap_ties_equal_scores_and_cannot_tell_a_split_one():
    clear = scenarios.items_scenario({"Keras": [4, 4, 3, 4, 4, 3], "TensorFlow": [1, 0, 1, 1, 0, 1],
                                     "PyTorch": [4, 3, 4, 4, 3, 4]}, "message score", scale=4)
    assert clear["verdict"] == "Keras and PyTorch" and clear["decided"]
    split = scenarios.items_scenario({"Keras": [4, 0, 4, 0], "TensorFlow": [0, 4, 0, 4], "PyTorch": [2, 2, 2, 2]},
                                    "message score", scale=4)
    assert split["verdict"].startswith("cannot tell") and not split["decided"]
    few = scenarios.items_scenario({"Keras": [4, 4], "PyTorch": [0, 0]}, "score", scale=4)
    assert few["verdict"] == "cannot tell: Keras or PyTorch"  # two items cannot give an interval
    assert "mean over 2 items (0-4): Keras 4.00, PyTorch 0.00" in few["evidence"]


def test_one_item_removed_can_move_a_verdict_only_across_cannot_tell():
    scores = {"Keras": [3, 3, 2, 4, 3, 3], "TensorFlow": [3, 4, 3, 3, 3, 2], "PyTorch": [1, 2, 1, 1, 0, 2]}
    full = scenarios.items_scenario(scores, "score", scale=4)["verdict"]
    for drop in range(6):
        fewer = {n: [v for i, v in enumerate(s) if i != drop] for n, s in scores.items()}
        verdict = scenarios.items_scenario(fewer, "score", scale=4)["verdict"]
        assert verdict == full or verdict.startswith("cannot tell") or full.startswith("cannot tell")


def test_repeats_scenario_pairs_rounds_and_its_scores_are_shares_of_the_best_median():
    rng = np.random.default_rng(1)
    slow = 1 + 0.5 * rng.random(9)  # a slow period hits every framework in the same round
    samples = {"Keras": list(1.0 * slow), "TensorFlow": list(2.0 * slow * rng.uniform(0.97, 1.03, 9)),
               "PyTorch": list(1.02 * slow * rng.uniform(0.97, 1.03, 9))}
    rounds = {n: list(range(9)) for n in samples}
    paired = scenarios.repeats_scenario(samples, "ms per step", rounds=rounds, unit="ms",
                                       labels={"Keras": "Keras/JAX"})
    assert paired["verdict"] == "Keras and PyTorch" and paired["decided"]
    assert paired["evidence"].startswith("ms per step, median of the repeats: Keras (Keras/JAX) ")
    assert paired["scores"]["Keras"] == 1.0 and 0.45 < paired["scores"]["TensorFlow"] < 0.55
    unpaired = scenarios.repeats_scenario(samples, "ms per step")  # the slow period is now noise
    assert unpaired["verdict"].startswith("cannot tell")
    fast = scenarios.repeats_scenario({"a": [10, 11, 10.5], "b": [5, 5.2, 5.1]}, "steps/s", lower_is_better=False)
    assert fast["verdict"] == "a"


def test_scenario_verdict_rejects_a_best_that_is_not_the_best_and_foreign_comparisons():
    lost = verdicts.compare_counts("Keras", 30, "PyTorch", 10)
    with pytest.raises(ValueError, match="PyTorch leads Keras"):
        scenarios.scenario_verdict("Keras", [lost], {"Keras": 0.3, "PyTorch": 1}, "lines")
    other = verdicts.compare_counts("TensorFlow", 10, "PyTorch", 10)
    with pytest.raises(ValueError, match="between 'Keras' and another"):
        scenarios.scenario_verdict("Keras", [other], {"Keras": 1, "TensorFlow": 1, "PyTorch": 1}, "lines")
    with pytest.raises(ValueError, match="best 'JAX'"):
        scenarios.scenario_verdict("JAX", [], {"Keras": 1}, "lines")
    with pytest.raises(TypeError, match="what"):
        scenarios.counts_scenario({"Keras": 1, "PyTorch": 2}, what=3)


def test_memory_follows_the_data_only_when_it_grows_by_more_than_a_tenth_of_it():
    flat = verdicts.compare_growth("at 136 MB", [9.0, 8.1, 9.6], "at 8 MB", [4.2, 4.0, 4.4], data_growth=128)
    assert flat.word == "about the same" and "within 12.8" in flat.why and "MB" in flat.rule
    held = verdicts.compare_growth("at 136 MB", [140, 141, 139], "at 8 MB", [9, 9.2, 9.1], data_growth=128)
    assert held.word == "leads" and held.leader == "at 136 MB"
    noisy = verdicts.compare_growth("at 136 MB", [5, 60, 10], "at 8 MB", [4, 5, 6], data_growth=128)
    assert noisy.word == "cannot tell"
    assert verdicts.compare_growth("big", [1, 1], "small", [1, 1], data_growth=10).word == "cannot tell"
    with pytest.raises(ValueError, match="one peak per round"):
        verdicts.compare_growth("big", [1, 1, 1], "small", [1, 1], data_growth=10)
