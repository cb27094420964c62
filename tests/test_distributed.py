"""utils.distributed: on each engine, 2 replicas' step == one process's step on the whole batch (and the
check fails when gradients are summed instead of averaged)."""

import pytest

from utils import distributed


@pytest.mark.parametrize("engine", distributed.ENGINES)
def test_two_replicas_equal_one_process_and_summing_fails(engine):
    result = distributed.data_parallel(engine, replicas=2, batch_size=32)
    assert result["tolerance"] == distributed.TOLERANCE == 1e-6
    assert distributed.equivalent(result, "mean"), result["max_difference"]
    assert not distributed.equivalent(result, "sum"), "gradients not averaged must fail the check"
    assert result["max_difference"]["sum"] > 100 * distributed.TOLERANCE
    assert result["examples_per_s"] == {}


def test_throughput_on_one_and_two_replicas():
    result = distributed.data_parallel("torch", reductions="mean", steps=3, batch_size=16, repeats=3)
    speeds = result["examples_per_s"]
    assert set(speeds) == {"1", "2"} and all(len(s) == 3 and min(s) > 0 for s in speeds.values())
    assert distributed.equivalent(result)


def test_torch_replicas_run_in_a_child_that_leaves_nothing_running():
    import psutil

    before = {c.pid for c in psutil.Process().children(recursive=True)}
    assert distributed.equivalent(distributed.data_parallel("torch", reductions="mean", batch_size=16))
    assert {c.pid for c in psutil.Process().children(recursive=True)} <= before, "no replica or server is left"


def test_max_difference_and_job_are_deterministic():
    w1, x1, y1 = distributed.job(8)
    w2, x2, y2 = distributed.job(8)
    assert distributed.max_difference(w1, w2) == 0.0 and (x1 == x2).all() and (y1 == y2).all()
    w2 = {k: v + (k == "dense2/bias") * 0.5 for k, v in w2.items()}
    assert distributed.max_difference(w1, w2) == pytest.approx(0.5)


def test_free_port_and_cores():
    assert 1024 <= distributed.free_port() <= 65535
    assert distributed.max_replicas() >= max(distributed.usable_cpus(), 2)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"engine": "mxnet"}, ValueError, "engine"),
    ({"replicas": 0}, ValueError, "replicas == 0"),
    ({"replicas": 2.0}, TypeError, "replicas"),
    ({"replicas": 10_000}, ValueError, "replicas == 10000, must be <="),
    ({"batch_size": 33}, ValueError, "batch_size == 33 must be a multiple of replicas"),
    ({"batch_size": 1}, ValueError, "batch_size"),
    ({"reductions": ("max",)}, ValueError, "reductions"),
    ({"reductions": ()}, ValueError, "reductions"),
    ({"steps": -1}, ValueError, "steps"),
    ({"lr": 0}, ValueError, "lr"),
    ({"seed": -1}, ValueError, "seed"),
    ({"timeout": 0}, ValueError, "timeout"),
    ({"repeats": 0}, ValueError, "repeats"),
])
def test_bad_arguments_fail_before_anything_starts(kwargs, error, message):
    with pytest.raises(error, match=message):
        distributed.data_parallel(**{"engine": "torch", **kwargs})


def test_a_failing_child_is_reported(monkeypatch):
    monkeypatch.setattr(distributed.sys, "executable", "/bin/false")
    with pytest.raises(distributed.DistributedError, match="tensorflow data-parallel run failed"):
        distributed.data_parallel("tensorflow")


def test_replicas_left_waiting_are_stopped_after_the_timeout():
    class Hung:
        def __init__(self):
            self.killed = False

        def kill(self):
            self.killed = True

    class Context:
        processes = [Hung(), Hung()]

        def join(self, timeout):
            return False  # a replica never finishes

    context = Context()
    with pytest.raises(TimeoutError, match="did not finish within 0.2 s"):
        distributed._join_replicas(context, 0.2)
    assert all(p.killed for p in context.processes)
