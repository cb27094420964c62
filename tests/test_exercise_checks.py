"""Every public exercise check in utils, given wrong answers of every kind: it returns, explains, never answers.

The checks are found by walking the package: a public function named check* or *_exercise that takes
the learner's `answer`, `func` or `make_pipeline`. Each needs a builder in utils.exercise_examples (a
valid context from small synthetic data), so a new check is covered without editing this test.
"""

import functools
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import utils
from utils import exercises
from utils.exercise_examples import EXAMPLES

LEARNERS_ARGUMENTS = {"answer", "func", "make_pipeline"}


def _raises(*args, **kwargs):
    raise RuntimeError("the learner's code failed")


def _wrong_type(*args, **kwargs):
    return "a string, not what was asked"


ANY_KIND = {"None": None, "a string": "some text", "a list": [1, 2], "a dict": {"a": 1},
            "an array": np.array([1.0, 2.0]), "a 2-D array": np.zeros((3, 3)), "an array of words": np.array(["a"]),
            "NaN": float("nan"), "infinity": float("inf"), "a huge int": 10**400, "an object": object(),
            "a function that raises": _raises, "a function of the wrong type": _wrong_type,
            "an unknown name": "no-such-name"}


def _exercise_checks() -> list[str]:
    found = set()
    for info in pkgutil.walk_packages(utils.__path__, "utils."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if (inspect.isfunction(func) and func.__module__ == module.__name__ and not name.startswith("_")
                    and (name.startswith("check") or name.endswith("_exercise"))
                    and LEARNERS_ARGUMENTS & set(inspect.signature(func).parameters)):
                found.add(f"{module.__name__}.{name}")
    return sorted(found)


CHECKS = _exercise_checks()
BUILDERS = list(dict.fromkeys(EXAMPLES.values()))


@functools.cache
def _examples(build):
    return build()


def _line(capsys, verdict) -> str:
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines  # one line, whatever was passed
    return lines[0]


def test_every_exercise_check_has_an_example_and_every_example_a_check():
    assert {"utils.exercises.check", "utils.bench.lesson.check_best_share"} <= set(CHECKS)  # the walk finds them
    missing = [c for c in CHECKS if c not in EXAMPLES]
    assert not missing, f"add a builder for {missing} to utils/exercise_examples.py (@example_of)"
    assert sorted(EXAMPLES) == CHECKS


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_wrong_answers_of_every_kind_are_explained_never_answered(build, capsys):
    for example in _examples(build):
        exercises.forget_tries()  # a fresh kernel: the stronger hint comes from the second wrong answer on
        prompt = _line(capsys, example.call(...))  # the unanswered cell: its hint is part of the question
        shown = (prompt.partition(". Hint: ")[2], *example.shown)
        for kind, answer in [*ANY_KIND.items(), *(("its own wrong answer", w) for w in example.wrong)]:
            verdict = example.call(answer)  # never raises
            line = _line(capsys, verdict)
            assert not verdict and " not yet: " in line, (kind, line)
            reason = line.split(" not yet: ", 1)[1]
            assert len(reason.split()) >= 3, (kind, line)  # it explains
            for text in shown:
                reason = reason.replace(text, "") if text else reason
            typed = f"{answer!r} {answer}"  # what the learner typed may be echoed
            leaked = [s for s in example.secrets if s in reason and s not in typed]
            assert not leaked, (kind, line)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_right_answers_pass(build, capsys):
    for example in _examples(build):
        if not example.slow:
            verdict = example.call(example.right)
            assert verdict and _line(capsys, verdict).endswith(": correct")


@pytest.mark.slow
def test_right_answers_that_are_timed_pass(capsys):
    slow = [e for b in BUILDERS for e in _examples(b) if e.slow]
    assert slow
    for example in slow:
        verdict = example.call(example.right)
        assert verdict and _line(capsys, verdict).endswith(": correct")
