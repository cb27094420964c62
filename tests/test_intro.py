import numpy as np
import pytest
import torch

from utils.intro import check_exercise


def _line(capsys, verdict):
    return bool(verdict), capsys.readouterr().out.strip()


def test_gradient_exercise_names_the_reference_it_was_handed(capsys):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**3).sum().backward()
    assert _line(capsys, check_exercise("1: gradient of sum(x**3)", x.grad)) == (
        True, "Exercise 1: gradient of sum(x**3): correct")
    x0 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    ok, text = _line(capsys, check_exercise("1: gradient of sum(x**3)", 2 * x0 * np.sin(x0) + x0**2 * np.cos(x0)))
    assert not ok and "that is the gradient of sum(x**2 * sin(x)) from the comparison above" in text
    ok, text = _line(capsys, check_exercise("1: gradient of sum(x**3)", x0**2))
    assert not ok and "that is x**2 (the power rule also brings down the 3)" in text
    ok, text = _line(capsys, check_exercise("1: gradient of sum(x**3)", [1.0, 1.0, 1.0]))
    assert not ok and "none of the values is right" in text and "27" not in text


def test_backend_exercise_accepts_the_running_back_end_and_never_names_it_on_a_wrong_answer(capsys):
    import keras

    running = keras.backend.backend()
    assert _line(capsys, check_exercise("2: back end", running.upper()))[0]
    other = next(b for b in ("jax", "torch") if b != running)
    ok, text = _line(capsys, check_exercise("2: back end", other))
    assert not ok and running not in text.split("Hint")[0]
    ok, text = _line(capsys, check_exercise("2: back end", "caffe"))
    assert not ok and "one of ['tensorflow', 'jax', 'torch']" in text


def test_port_exercise_is_judged_by_running_keras(capsys):
    right = {"nn.Linear(3, 2)": "error", "nn.Linear(3, 3)": "different outputs"}
    assert _line(capsys, check_exercise("3: port", right)) == (True, "Exercise 3: port: correct")
    ok, text = _line(capsys, check_exercise("3: port", {**right, "nn.Linear(3, 3)": "same outputs"}))
    assert not ok and "your prediction for nn.Linear(3, 3) is not what happens" in text
    ok, text = _line(capsys, check_exercise("3: port", {**right, "nn.Linear(3, 2)": "a crash"}))
    assert not ok and "for nn.Linear(3, 2) with one of" in text


@pytest.mark.parametrize("number", ["1", "2", "3"])
@pytest.mark.parametrize("answer", [..., None, "text", 3, {"a": 1}, object(), [1, [2]], {"nn.Linear(3, 2)": ...}])
def test_no_answer_makes_a_check_raise(number, answer, capsys):
    verdict = check_exercise(f"{number}: x", answer)
    assert not verdict and capsys.readouterr().out.startswith(f"Exercise {number}: x: not yet: ")


def test_the_author_must_name_an_exercise_that_exists():
    with pytest.raises(ValueError, match="name == '4: x'"):
        check_exercise("4: x", 1)
    with pytest.raises(TypeError, match="name"):
        check_exercise(4, 1)
