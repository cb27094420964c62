"""utils.shards: atomic writing, validation with clear errors, and every reader sees each example once."""

import json
import os

import numpy as np
import pytest

from utils import shards

SHARDS, PER_SHARD, FEATURES, BATCH = 5, 64, 8, 16


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("shards") / "ds"
    shards.write_dataset(path, SHARDS, PER_SHARD, n_features=FEATURES, n_classes=3, seed=1)
    return path


@pytest.fixture(scope="module")
def reference(folder):
    return shards.load_in_memory(folder)


def rows(x, y) -> list[bytes]:
    """Each example as bytes (features then label), to compare pipelines example by example."""
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    return [row.tobytes() for row in np.concatenate([x, y[:, None]], axis=1)]


def collect(batches) -> list[bytes]:
    out = []
    for x, y in batches:
        out += rows(np.asarray(x), np.asarray(y))
    return out


def test_write_is_deterministic_and_sized_as_the_manifest_says(folder, tmp_path):
    manifest = shards.validate_shards(folder)
    assert manifest["examples"] == SHARDS * PER_SHARD and len(manifest["shards"]) == SHARDS
    assert manifest["bytes"] == sum(p.stat().st_size for p in folder.glob("shard-*.bin"))
    shards.write_dataset(tmp_path / "again", SHARDS, PER_SHARD, n_features=FEATURES, n_classes=3, seed=1)
    assert (tmp_path / "again" / "shard-00003.bin").read_bytes() == (folder / "shard-00003.bin").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["again"], "no temporary files left next to it"


def test_load_in_memory_holds_every_example_once(reference):
    x, y = reference
    assert x.shape == (SHARDS * PER_SHARD, FEATURES) and y.dtype == np.int64
    assert len(set(rows(x, y))) == len(x), "examples are distinct, so 'exactly once' can be checked"
    assert set(np.unique(y)) == {0, 1, 2}


def test_tf_pipeline_reads_every_example_once_in_shard_order(folder, reference):
    expected = rows(*reference)
    assert collect(shards.tf_dataset(folder, BATCH, cycle_length=1)) == expected, "cycle 1: shard after shard"
    for epoch in range(2):  # each pass over the dataset is one epoch
        got = collect(shards.tf_dataset(folder, BATCH, cycle_length=3, per_example=epoch == 1))
        assert sorted(got) == sorted(expected) and got != expected, "interleaved: each example once, order mixed"


def test_torch_loader_reads_every_example_once_in_order(folder, reference):
    loader = shards.torch_loader(folder, BATCH)
    for _ in range(2):  # two epochs
        assert collect(loader) == rows(*reference)


def test_torch_loader_workers_start_with_the_context_given(folder, reference):
    # this test process runs TensorFlow's threads, so its workers must not fork it: a fresh interpreter each
    loader = shards.torch_loader(folder, BATCH, num_workers=1, multiprocessing_context="spawn")
    assert loader.multiprocessing_context.get_start_method() == "spawn"
    assert collect(loader) == rows(*reference)


def test_drop_from_page_cache_keeps_the_data_and_says_where_it_cannot(folder, reference, monkeypatch):
    assert shards.drop_from_page_cache(folder) is True  # Linux: posix_fadvise exists
    assert collect(shards.torch_loader(folder, BATCH)) == rows(*reference), "dropped pages are read again from disk"
    monkeypatch.delattr(os, "posix_fadvise")  # as on macOS and Windows
    assert shards.drop_from_page_cache(folder) is False
    with pytest.raises(shards.ShardError, match="manifest"):
        shards.drop_from_page_cache(folder.parent)


def test_augmented_batches_are_deterministic_and_change_the_features(folder):
    plain, augmented = shards.ShardBatches(folder, BATCH), shards.ShardBatches(folder, BATCH, augment=True)
    (x, y), (xa, ya), (xb, _) = plain[1], augmented[1], augmented[1]
    assert (y == ya).all() and xa.shape == x.shape and xa.dtype == np.float32
    assert (xa == xb).all() and not np.allclose(xa, x), "the same batch augments the same way every time"
    with pytest.raises(TypeError, match="augment"):
        shards.ShardBatches(folder, BATCH, augment="yes")


@pytest.mark.parametrize("workers, processes", [(1, False), (2, False), (2, True)])
def test_keras_pydataset_reads_every_example_once_in_order(folder, reference, workers, processes):
    import keras

    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Identity()])
    ds = shards.keras_dataset(folder, BATCH, workers=workers, use_multiprocessing=processes)
    for _ in range(2):
        got = model.predict(ds, verbose=0)
        np.testing.assert_array_equal(got, reference[0])


def test_keras_consumes_tf_data_and_torch_loader_directly(folder, reference):
    import keras

    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Identity()])
    for ds in (shards.tf_dataset(folder, BATCH, cycle_length=1), shards.torch_loader(folder, BATCH)):
        np.testing.assert_array_equal(model.predict(ds, verbose=0), reference[0])
    classifier = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(3)])
    classifier.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    for ds in (shards.tf_dataset(folder, BATCH), shards.torch_loader(folder, BATCH)):
        history = classifier.fit(ds, epochs=2, shuffle=False, verbose=0)
        assert np.isfinite(history.history["loss"]).all() and len(history.history["loss"]) == 2


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def failing(shard, *args):
        calls.append(shard)
        if shard == 2:
            raise OSError("disk full")
        return np.zeros((4, 3), np.float32)

    monkeypatch.setattr(shards, "_examples", failing)
    with pytest.raises(OSError, match="disk full"):
        shards.write_dataset(tmp_path / "ds", 4, 4, n_features=2)
    assert calls == [0, 1, 2] and os.listdir(tmp_path) == []


def test_temporary_dataset_is_removed_after_use():
    with shards.temporary_dataset(2, 8, n_features=4) as path:
        assert shards.validate_shards(path)["examples"] == 16
    assert not path.exists() and not path.parent.exists()


@pytest.fixture
def copy(folder, tmp_path):
    target = tmp_path / "copy"
    target.mkdir()
    for p in folder.iterdir():
        (target / p.name).write_bytes(p.read_bytes())
    return target


def test_missing_shard(copy):
    (copy / "shard-00002.bin").unlink()
    with pytest.raises(shards.ShardError, match="'shard-00002.bin' is missing"):
        shards.validate_shards(copy)
    with pytest.raises(shards.ShardError, match="missing"):
        shards.torch_loader(copy, BATCH)


def test_truncated_shard(copy):
    path = copy / "shard-00001.bin"
    path.write_bytes(path.read_bytes()[:-7])
    readers = (shards.validate_shards, lambda f: shards.tf_dataset(f, BATCH), lambda f: shards.keras_dataset(f, BATCH))
    for reader in readers:
        with pytest.raises(shards.ShardError, match="'shard-00001.bin' is truncated"):
            reader(copy)


def test_corrupt_shard_and_manifest(copy):
    path = copy / "shard-00004.bin"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(shards.ShardError, match="'shard-00004.bin' is corrupt: its checksum"):
        shards.validate_shards(copy)
    data[0] ^= 0xFF  # the magic bytes: caught even without checksums
    path.write_bytes(bytes(data))
    with pytest.raises(shards.ShardError, match="header does not match"):
        shards.validate_shards(copy, checksums=False)
    (copy / "manifest.json").write_text("{not json")
    with pytest.raises(shards.ShardError, match="manifest.json in 'copy' is corrupt"):
        shards.validate_shards(copy)
    (copy / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(shards.ShardError, match="not in the format"):
        shards.validate_shards(copy)


def test_no_manifest(tmp_path):
    with pytest.raises(shards.ShardError, match="no manifest.json"):
        shards.validate_shards(tmp_path)


@pytest.mark.parametrize("call, error, name", [
    (lambda f: shards.write_dataset(f / "x", 0), ValueError, "shards"),
    (lambda f: shards.write_dataset(f / "x", 2, 2.5), TypeError, "examples_per_shard"),
    (lambda f: shards.write_dataset(f / "x", 2, n_features=0), ValueError, "n_features"),
    (lambda f: shards.write_dataset(f / "x", 2, n_classes=1), ValueError, "n_classes"),
    (lambda f: shards.write_dataset(f, 2), FileExistsError, "exists already"),
    (lambda f: shards.write_dataset(f / "a" / "b", 2), FileNotFoundError, "parent"),
    (lambda f: shards.validate_shards(f, checksums="yes"), TypeError, "checksums"),
    (lambda f: shards.tf_dataset(f, BATCH, cycle_length=0), ValueError, "cycle_length"),
    (lambda f: shards.tf_dataset(f, BATCH, per_example=1), TypeError, "per_example"),
    (lambda f: shards.torch_loader(f, BATCH, num_workers=-1), ValueError, "num_workers"),
    (lambda f: shards.torch_loader(f, BATCH, prefetch_factor=0), ValueError, "prefetch_factor"),
    (lambda f: shards.keras_dataset(f, BATCH, workers=0), ValueError, "workers"),
    (lambda f: shards.keras_dataset(f, BATCH, use_multiprocessing=None), TypeError, "use_multiprocessing"),
    (lambda f: shards.keras_dataset(f, BATCH, max_queue_size=0), ValueError, "max_queue_size"),
    (lambda f: shards.ShardBatches(f, 0), ValueError, "batch_size"),
    (lambda f: shards.ShardBatches(f, 3), ValueError, "batch_size == 3 must divide"),
    (lambda f: shards.record_bytes(1.0), TypeError, "n_features"),
])
def test_bad_arguments_get_clear_errors(folder, call, error, name):
    with pytest.raises(error, match=name):
        call(folder)


def test_shard_batches_index_out_of_range(folder):
    batches = shards.ShardBatches(folder, BATCH)
    assert len(batches) == SHARDS * PER_SHARD // BATCH
    with pytest.raises(IndexError, match="out of range"):
        batches[len(batches)]
