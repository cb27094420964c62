import numpy as np
import pytest
import torch

from utils.exercises import check, check_function, explain


def test_right_answers_pass_in_any_container(capsys):
    assert check("1", [1.0, 2.0], np.array([1.0, 2.0]))
    assert check("2", torch.tensor([1.0, 2.0], requires_grad=True) * 1, [1.0, 2.0])
    assert check("3", "tensorflow", "tensorflow")
    assert check("4", {"a": 1.0, "b": [2, 3]}, {"a": 1.0, "b": [2, 3]})
    assert capsys.readouterr().out.count("correct") == 4


@pytest.mark.parametrize("answer, expected, reason", [
    (..., 1.0, "replace the `...`"),
    (None, 1.0, "replace the `...`"),
    ([1.0, 2.0], [[1.0, 2.0]], "shape (2,), expected (1, 2)"),
    ([1.0, 2.5], [1.0, 2.0], "at index (1,) got"),
    ("pytorch", "tensorflow", "got 'pytorch', expected 'tensorflow'"),
    ({"a": 1.0}, {"a": 1.0, "b": 2.0}, "missing keys ['b']"),
    ({"a": 1.5}, {"a": 1.0}, "['a'] values differ"),
    (["x", "y"], [1.0, 2.0], "expected numbers"),
    (object(), 1.0, "expected numbers"),
])
def test_wrong_answers_are_explained(answer, expected, reason):
    assert reason in explain(answer, expected)


def test_wrong_answer_prints_reason_and_hint_without_raising(capsys):
    verdict = check("5", [3.0], [4.0], hint="differentiate x**2")
    assert not verdict and "values differ" in verdict.reason
    out = capsys.readouterr().out
    assert out.startswith("Exercise 5: not yet: values differ") and "Hint: differentiate x**2" in out


def test_check_function_reports_the_failing_case_and_survives_exceptions(capsys):
    cases = [((2.0,), 4.0), ((-3.0,), 9.0)]
    assert check_function("6", lambda x: x * x, cases)
    assert not check_function("7", lambda x: x * abs(x), cases)
    assert not check_function("8", lambda x: 1 / 0, cases)
    assert not check_function("9", ..., cases)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Exercise 6: correct"
    assert "with (-3.0): values differ" in out[1]
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
