"""utils.workers: DataLoader worker counts measured in a child process that imports PyTorch only."""

import pytest

from utils import shards, workers


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("workers") / "data"
    shards.write_dataset(path, shards=2, examples_per_shard=256)
    return path


def test_measure_workers_gives_read_and_train_rows_per_configuration_with_repeats(folder):
    import psutil

    from utils.streaming import read_name, train_name

    before = {c.pid for c in psutil.Process().children(recursive=True)}
    rows = workers.measure_workers(folder, 0.1, 128, configs=((0, False), (1, False), (2, True)), repeats=2)
    names = [workers.row_name(0, False), workers.row_name(1, False), workers.row_name(2, True)]
    expected = [n for name in names for n in (read_name(name), train_name(name, "PyTorch"))]
    assert [r["pipeline"] for r in rows] == expected
    assert all(len(r["samples"]) == 2 and min(r["samples"]) > 0 and r["examples"] == 512 for r in rows)
    assert all(r["usable_cpus"] >= 1 for r in rows)
    assert {c.pid for c in psutil.Process().children(recursive=True)} <= before, "the child and its workers end"
    lines = workers.worker_lines(rows, 128)
    assert lines[0].startswith("One worker, plain batches:") and "ms per batch of 128 examples" in lines[0]
    assert lines[1] == "2 workers vs 0, plain batches, read: not measured." and lines[-1].startswith("Cores")
    assert lines[3].startswith("2 workers vs 0, with per-example augmentation, read: ")
    assert lines[4].startswith("2 workers vs 0, with per-example augmentation, read + train: ")
    reads = workers.measure_workers(folder, 0.1, 128, configs=((0, False),), repeats=1, train=False)
    assert [r["pipeline"] for r in reads] == [read_name(workers.row_name(0, False))]


def test_names_and_bad_arguments(folder):
    assert workers.row_name(1, False) == "PyTorch DataLoader, 1 worker"
    assert workers.row_name(2, True) == "PyTorch DataLoader, 2 workers, augmented"
    with pytest.raises(ValueError, match="workers"):
        workers.measure_workers(folder, 1.0, 128, configs=((-1, False),))
    with pytest.raises(TypeError, match="augment"):
        workers.measure_workers(folder, 1.0, 128, configs=((1, "no"),))
    with pytest.raises(TypeError, match="train"):
        workers.measure_workers(folder, 1.0, 128, train=1)
    with pytest.raises(ValueError, match="configs"):
        workers.measure_workers(folder, 1.0, 128, configs=())
    with pytest.raises(workers.WorkerError, match="DataLoader measurement failed"):
        workers.measure_workers(folder, 1.0, 100)  # 100 does not divide the 256 examples per shard
