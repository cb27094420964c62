import pytest

from utils import backends
from utils.frameworks import KERAS_BACKENDS


def backend_and_sum(values):
    import keras

    return {"backend": keras.backend.backend(), "sum": float(keras.ops.sum(keras.ops.convert_to_tensor(values)))}


def seeded_draw():
    import keras

    return float(keras.ops.convert_to_numpy(keras.random.uniform((1,)))[0])


def fails_loudly():
    raise ZeroDivisionError("planted failure in the child")


def test_each_backend_runs_in_its_own_process():
    results = backends.run_on_each_backend(backend_and_sum, [1.0, 2.0, 3.5])
    assert {name: r["backend"] for name, r in results.items()} == {b: b for b in KERAS_BACKENDS}
    assert all(r["sum"] == 6.5 for r in results.values())


def test_child_is_seeded():
    first = backends.run_in_backend("jax", seeded_draw, seed=5)
    assert first == backends.run_in_backend("jax", seeded_draw, seed=5)
    assert first != backends.run_in_backend("jax", seeded_draw, seed=6)


def test_a_failing_child_raises_with_its_own_traceback():
    with pytest.raises(backends.BackendError) as info:
        backends.run_in_backend("torch", fails_loudly)
    message = str(info.value)
    assert "under Keras back end 'torch' failed" in message
    assert "ZeroDivisionError: planted failure in the child" in message
    assert 'raise ZeroDivisionError("planted failure in the child")' in message, "source line shown"


def test_bad_input_is_rejected_before_starting_a_child():
    with pytest.raises(ValueError, match="backend == 'theano', must be one of"):
        backends.run_in_backend("theano", backend_and_sum, [1.0])
    with pytest.raises(TypeError, match="defined with `def`"):
        backends.run_in_backend("jax", lambda: 1)
    with pytest.raises(TypeError, match="defined with `def`"):
        backends.run_in_backend("jax", print)
    with pytest.raises(TypeError, match="JSON-able"):
        backends.run_in_backend("jax", backend_and_sum, {1, 2})
    with pytest.raises(ValueError, match="backends is empty"):
        backends.run_on_each_backend(backend_and_sum, [1.0], backends=[])
    with pytest.raises(ValueError, match="backends item == 'theano'"):
        backends.run_on_each_backend(backend_and_sum, [1.0], backends=["theano"])
    with pytest.raises(ValueError, match="timeout == 0"):
        backends.run_in_backend("jax", backend_and_sum, [1.0], timeout=0)


def test_closures_are_rejected_with_a_fix():
    offset = 1.0

    def uses_offset():
        return offset

    with pytest.raises(TypeError, match="pass them as arguments"):
        backends.run_in_backend("jax", uses_offset)


def process_id():
    import os

    return os.getpid()


def test_here_runs_this_process_backend_in_this_process_and_the_others_in_children():
    import os

    here = backends.current_backend()
    pids = backends.run_on_each_backend(process_id, here=True)
    assert list(pids) == list(KERAS_BACKENDS)
    assert pids[here] == os.getpid()
    assert all(pid != os.getpid() for backend, pid in pids.items() if backend != here)
    other = next(b for b in KERAS_BACKENDS if b != here)
    assert backends.run_in_backend(other, process_id, here=True) != os.getpid()
    assert backends.run_in_backend(here, backend_and_sum, (1.0, 2.0), here=True) == {"backend": here, "sum": 3.0}
    with pytest.raises(TypeError, match="here"):
        backends.run_in_backend(here, process_id, here="yes")
