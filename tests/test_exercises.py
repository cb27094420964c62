import numpy as np
import pytest
import torch

from utils.exercises import (
    check,
    check_function,
    explain,
    explain_choice,
    forbidden_reason,
    forget_tries,
    not_a_choice,
    used_names,
)


def test_right_answers_pass_in_any_container(capsys):
    assert check("1", [1.0, 2.0], np.array([1.0, 2.0]))
    assert check("2", torch.tensor([1.0, 2.0], requires_grad=True) * 1, [1.0, 2.0])
    assert check("3", "tensorflow", "tensorflow")
    assert check("4", {"a": 1.0, "b": [2, 3]}, {"a": 1.0, "b": [2, 3]})
    assert capsys.readouterr().out.count("correct") == 4


@pytest.mark.parametrize("answer, expected, reason", [
    (..., 1.0, "replace the `...`"),
    (None, 1.0, "replace the `...`"),
    ([1.0, 2.0], [[1.0, 2.0]], "your answer has shape (2,); the exercise asks for an array of shape (1, 2)"),
    (3.0, [1.0, 2.0], "your answer is a single number; the exercise asks for an array of shape (2,)"),
    ([1.0, 2.0], 3.0, "your answer has shape (2,); the exercise asks for a single number"),
    ([1.0, 2.5], [1.0, 2.0], "some values are right, others are off"),
    ([-1.0, -2.0], [1.0, 2.0], "none of the values is right"),
    (3.0, 4.0, "that is not the right value"),
    (3924.5, 3925, "the exercise asks for a whole number"),
    ([1.0, float("nan")], [1.0, 2.0], "your answer holds NaN"),
    ("pytorch", "tensorflow", "'pytorch' is not it"),
    ("TensorFlow", "tensorflow", "nearly: write it exactly as the exercise spells it"),
    (1.0, "tensorflow", "answer with a word (a string), got 1.0"),
    ("yes", True, "answer with True or False, got 'yes'"),
    ({"a": 1.0}, {"a": 1.0, "b": 2.0}, "missing keys ['b']"),
    ({"a": 1.5}, {"a": 1.0}, "['a'] that is not the right value"),
    (["x", "y"], [1.0, 2.0], "expected numbers"),
    (object(), 1.0, "expected numbers"),
])
def test_wrong_answers_are_explained(answer, expected, reason):
    assert reason in explain(answer, expected)


@pytest.mark.parametrize("answer, expected", [
    ("pytorch", "tensorflow"), ([1.0, 2.5], [1.0, 2.125]), ([-3.0, -12.0], [3.0, 12.0]), (3924, 3925),
    (3926.0, 3925), (False, True), ({"a": 1.5, "b": "x"}, {"a": 1.125, "b": "yes"}), (np.ones((2, 2)), np.eye(2)),
])
def test_a_wrong_answer_never_shows_the_expected_value_its_place_or_its_distance(answer, expected):
    reason = explain(answer, expected)
    assert reason and "expected" not in reason and "index" not in reason and "difference" not in reason
    for text in ("tensorflow", "2.125", "3925", "True", "1.125", "'yes'", "(1,)", "too high", "too low"):
        assert text not in reason, reason


def test_wrong_answer_prints_reason_and_hint_without_raising(capsys):
    verdict = check("5", [3.0], [4.0], hint="differentiate x**2")
    assert not verdict and "that is not the right value" in verdict.reason
    out = capsys.readouterr().out
    assert out.startswith("Exercise 5: not yet: that is not the right value") and "Hint: differentiate x**2" in out


def test_check_function_reports_the_failing_case_and_survives_exceptions(capsys):
    cases = [((2.0,), 4.0), ((-3.0,), 9.0)]
    assert check_function("6", lambda x: x * x, cases)
    assert not check_function("7", lambda x: x * abs(x), cases)
    assert not check_function("8", lambda x: 1 / 0, cases)
    assert not check_function("9", ..., cases)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Exercise 6: correct"
    assert "with (-3.0): that is not the right value" in out[1]
    assert "raised ZeroDivisionError" in out[2]
    assert "define the function" in out[3]
    assert not out[3].count("not yet") > 1


def test_author_misuse_is_rejected_but_learner_input_never_raises():
    with pytest.raises(ValueError, match="name must not be empty"):
        check("", 1, 1)
    with pytest.raises(TypeError, match="name must be a string"):
        check(3, 1, 1)
    with pytest.raises(ValueError, match="rtol == -1.0"):
        check("x", 1, 1, rtol=-1)
    with pytest.raises(TypeError, match="hint must be a string"):
        check_function("x", abs, [((1,), 1)], hint=None)
    with pytest.raises(TypeError, match="second_hint must be a string or None"):
        check("x", 1, 1, second_hint=3)


MALFORMED_ANSWERS = [..., None, "text", object(), [1, [2, 3]], {"b": 1}, np.array(["a"]), lambda: 1, float("nan"),
                     np.zeros((3, 3)), 10**400, b"bytes", {1, 2}]


@pytest.mark.parametrize("answer", MALFORMED_ANSWERS, ids=lambda a: type(a).__name__)
@pytest.mark.parametrize("expected", [1.0, [1.0, 2.0], {"a": 1.0}, "yes", True])
def test_check_never_raises_and_explains(answer, expected, capsys):
    verdict = check("9", answer, expected)
    assert not verdict and verdict.reason
    assert capsys.readouterr().out.startswith("Exercise 9: not yet: ")


@pytest.mark.parametrize("func", MALFORMED_ANSWERS)
@pytest.mark.parametrize("cases", [[((1.0,), 1.0)], [], None, [(1.0, 1.0)], "cases", [((1.0,), 1.0, 3)]])
def test_check_function_never_raises_and_explains(func, cases, capsys):
    verdict = check_function("8", func, cases)
    assert not verdict and verdict.reason
    assert capsys.readouterr().out.startswith("Exercise 8: not yet: ")


def test_check_function_survives_a_result_it_cannot_compare(capsys):
    assert not check_function("10", lambda: np.array([1.0, 2.0]), [((), True)])
    assert "not yet" in capsys.readouterr().out


REFERENCE = np.array([2.2232, 1.9726, -8.0632])  # a value printed above an exercise
FLOAT32 = REFERENCE + 1e-7  # the framework's answer, within tolerance of the reference but not equal


def test_a_giveaway_is_named_instead_of_a_bare_difference(capsys):
    giveaways = {"the gradient of sum(x**2 * sin(x)) printed above": REFERENCE}
    verdict = check("1: the gradient of sum(x**3)", REFERENCE, [3.0, 12.0, 27.0], giveaways=giveaways)
    assert not verdict
    assert capsys.readouterr().out.startswith(
        "Exercise 1: the gradient of sum(x**3): not yet: that is the gradient of sum(x**2 * sin(x)) printed "
        "above, not the gradient of sum(x**3); ")
    assert check("1: the gradient of sum(x**3)", [3.0, 12.0, 27.0], [3.0, 12.0, 27.0], giveaways=giveaways)
    assert not check("2", [0.0], [1.0], giveaways={"zero": [5.0]}).reason.startswith("that is zero")


def test_a_giveaway_within_tolerance_of_the_answer_is_caught_only_when_handed_in_exactly(capsys):
    giveaways = {"NumPy's reference": REFERENCE}
    assert not check("3: PyTorch's gradient", REFERENCE.copy(), FLOAT32, giveaways=giveaways)
    assert "that is NumPy's reference, not PyTorch's gradient" in capsys.readouterr().out
    assert check("3: PyTorch's gradient", FLOAT32.copy(), FLOAT32, giveaways=giveaways)
    assert check("3: PyTorch's gradient", REFERENCE, REFERENCE, giveaways=giveaways)  # no way to tell: correct


def test_a_function_handed_in_from_the_library_is_named(capsys):
    cases = [((-1.0,), 1.0)]
    assert not check_function("4: absolute value", abs, cases, giveaways={"Python's built-in abs": abs})
    assert "that is Python's built-in abs, not absolute value; write the function yourself" in capsys.readouterr().out
    assert check_function("4: absolute value", lambda v: -v if v < 0 else v, cases, giveaways={"abs": abs})


def test_forbidden_calls_are_found_in_the_cell_outside_the_checks_own_arguments():
    cell = ("from utils.equivalence import keras_epsilon_in_torch as eps\n"
            "answer_2 = eps(1e-7, 3)\n"
            "check('2', answer_2, expected=equivalence.full_float32(t), forbidden_calls=['full_float32'])")
    names = used_names(cell)
    assert "utils.equivalence.keras_epsilon_in_torch" in names and "full_float32" not in names
    assert forbidden_reason(["keras_epsilon_in_torch"], cell).startswith(
        "keras_epsilon_in_torch computes the answer for you; write it with")
    assert forbidden_reason(["equivalence.full_float32"], cell) is None  # only the check's own expected uses it
    assert forbidden_reason(["equivalence.full_float32"], "a = equivalence.full_float32(t)") is not None
    assert forbidden_reason(["f"], "%timeit f(1)\nnot python") is not None  # not Python: words count
    assert forbidden_reason([], cell) is None


def test_forbidden_calls_fail_the_check_in_a_notebook_cell(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.user_ns["helper"] = lambda: 4.0
        shell.run_cell("from utils.exercises import check\n"
                       "_ = check('5: four', helper(), 4.0, forbidden_calls=['helper'])", store_history=True)
        shell.run_cell("_ = check('5: four', 2.0 * 2, 4.0, forbidden_calls=['helper'])", store_history=True)
    finally:
        InteractiveShell.clear_instance()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Exercise 5: four: not yet: helper computes the answer for you")
    assert out[1] == "Exercise 5: four: correct"
    assert check("5: four", 4.0, 4.0, forbidden_calls=["helper"])  # outside IPython nothing is read


def test_giveaways_and_forbidden_calls_are_checked_as_author_arguments():
    with pytest.raises(TypeError, match="giveaways"):
        check("x", 1, 1, giveaways=[1.0])
    with pytest.raises(TypeError, match="forbidden_calls"):
        check("x", 1, 1, forbidden_calls="helper")
    with pytest.raises(TypeError, match="forbidden_calls"):
        check_function("x", abs, [((1,), 1)], forbidden_calls=[3])
    with pytest.raises(TypeError, match="source"):
        used_names(None)


@pytest.mark.parametrize("answer", MALFORMED_ANSWERS, ids=lambda a: type(a).__name__)
def test_giveaways_never_make_a_check_raise(answer, capsys):
    verdict = check("11", answer, [1.0, 2.0], giveaways={"a string": "text", "a dict": {"b": 1}, "nan": float("nan")})
    assert not verdict and verdict.reason


def test_a_stronger_hint_comes_from_the_second_wrong_try_and_a_right_answer_starts_again(capsys):
    forget_tries()
    for answer in (..., 2.0, 3.0, ..., 1.0, 2.0):
        check("12: one", answer, 1.0, hint="h1", second_hint="h2")
    out = capsys.readouterr().out.splitlines()
    assert [" h2" in line for line in out] == [False, False, True, False, False, False]
    assert out[2].endswith("Hint: h1. A stronger hint, after 2 tries: h2")
    assert out[3] == "Exercise 12: one: not yet: replace the `...` with your answer and run the cell again. Hint: h1"
    assert out[4] == "Exercise 12: one: correct"


def test_choices_are_explained_without_naming_the_right_one():
    words = ("faster", "slower", "cannot tell")
    assert explain_choice(" Faster ", "faster", words) is None
    assert explain_choice("Faster", "faster", words, loose=False).startswith("answer with one of ['faster', ")
    assert explain_choice("PyTorch", "torch", ("torch", "jax"), synonyms={"pytorch": "torch"}) is None
    assert explain_choice("slower", "faster", words, why="not what the rows say") == "'slower' is not what the rows say"
    assert "'faster'" not in explain_choice("cannot tell", "faster", words)
    for answer in (np.array(["faster"]), ["faster"], {"faster": 1}, 3, float("nan"), "x" * 200):
        assert not_a_choice(answer, words).startswith(f"answer with one of {list(words)}, got ")
    assert not_a_choice(..., words, where="for x") == "replace the `...` for x with your answer and run the cell again"
    assert len(not_a_choice("x" * 200, words)) < 120
