"""utils.verdicts: the 'about the same' rule, rankings in tiers, and the prediction check."""

import pytest

from utils import verdicts

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


def test_tiers_start_at_their_smallest_value_and_do_not_chain():
    assert verdicts.tiers(SIZES, close=0.25) == [["PyTorch", "Keras"], ["TensorFlow"]]
    assert verdicts.ranking_line(SIZES, close=0.25) == "PyTorch 129 ≈ Keras 147 < TensorFlow 318"
    # 10 -> 12 -> 14.4: each step is 20%, but 14.4 is 44% above 10, so it starts a new tier
    assert verdicts.tiers({"a": 10, "b": 12, "c": 14.4}, close=0.25) == [["a", "b"], ["c"]]
    assert verdicts.ranking_line({"x": 1.5, "y": 2.25}, close=0) == "x 1.5 < y 2.25"


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
