"""A dataset on disk in shards, written atomically, validated, and streamed by all three frameworks.

Used by notebook 05. The format is deliberately plain, so every reader is a few lines:

    folder/manifest.json          what is there: shards, examples, features, checksums
    folder/shard-00000.bin        a 32-byte header, then fixed-length records: n_features float32
    folder/shard-00001.bin ...    values followed by the label (as a float32)

    with shards.temporary_dataset(shards=8, examples_per_shard=4096) as folder:
        shards.tf_dataset(folder, 256)            # tf.data: interleave, map, prefetch, AUTOTUNE
        shards.torch_loader(folder, 256)          # torch DataLoader over a map-style dataset
        shards.keras_dataset(folder, 256, 2)      # keras.utils.PyDataset, 2 workers
    # the folder is gone here

Every shard and the manifest are written under a temporary name and renamed, inside a temporary folder
that is renamed into place at the end: a crash leaves nothing half-written. Readers hold one batch at a
time (plus what their prefetch buffers hold), never the whole dataset. A batch never straddles two
shards, so `batch_size` must divide `examples_per_shard`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from utils.checks import check_bool, check_int

FORMAT = "kvtvp-shards/1"
MAGIC = b"KVTVPSH1"
HEADER = struct.Struct("<8sQII8x")  # magic, examples, features, crc32 of the records, padding: 32 bytes
MANIFEST = "manifest.json"


class ShardError(ValueError):
    """A dataset folder that cannot be read as written: missing, truncated or corrupt files."""


def record_bytes(n_features: int) -> int:
    """Bytes of one example on disk: its features and its label, all float32."""
    return 4 * (check_int("n_features", n_features, minimum=1) + 1)


def _examples(shard: int, count: int, n_features: int, n_classes: int, seed: int) -> np.ndarray:
    """One shard's records: Gaussian features, labels from a fixed linear teacher (so a model can learn)."""
    teacher = np.random.default_rng([seed, 0xC0FFEE]).standard_normal((n_features, n_classes))
    x = np.random.default_rng([seed, shard]).standard_normal((count, n_features)).astype(np.float32)
    labels = np.argmax(x @ teacher, axis=1).astype(np.float32)
    return np.concatenate([x, labels[:, None]], axis=1)


def _write_atomic(path: Path, chunks) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        for chunk in chunks:
            f.write(chunk)
    tmp.replace(path)


def write_dataset(folder, shards: int, examples_per_shard: int = 4096, n_features: int = 64,
                  n_classes: int = 10, seed: int = 0) -> dict:
    """Write a generated dataset of `shards` files into the new folder `folder`; return its manifest.

    Args:
        folder: a path that does not exist yet (its parent must).
        shards, examples_per_shard, n_features, n_classes, seed: the dataset's shape and content;
            the same arguments always give the same bytes.
    Returns:
        The manifest (also saved as folder/manifest.json).
    Raises:
        TypeError/ValueError for bad arguments, FileExistsError when `folder` exists. Nothing is left
        behind when writing fails part-way.
    """
    check_int("shards", shards, minimum=1)
    check_int("examples_per_shard", examples_per_shard, minimum=1)
    check_int("n_classes", n_classes, minimum=2)
    check_int("seed", seed, minimum=0)
    size = record_bytes(n_features)
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"folder {folder.name!r} exists already: write_dataset makes a new folder")
    if not folder.parent.is_dir():
        raise FileNotFoundError(f"the parent of folder {folder.name!r} does not exist")
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        entries = []
        for shard in range(shards):
            payload = _examples(shard, examples_per_shard, n_features, n_classes, seed).tobytes()
            crc = zlib.crc32(payload)
            name = f"shard-{shard:05d}.bin"
            _write_atomic(work / name, [HEADER.pack(MAGIC, examples_per_shard, n_features, crc), payload])
            entries.append({"file": name, "examples": examples_per_shard,
                            "bytes": HEADER.size + examples_per_shard * size, "crc32": crc})
        manifest = {"format": FORMAT, "n_features": n_features, "n_classes": n_classes, "seed": seed,
                    "examples_per_shard": examples_per_shard, "record_bytes": size, "header_bytes": HEADER.size,
                    "examples": shards * examples_per_shard, "bytes": sum(e["bytes"] for e in entries),
                    "shards": entries}
        _write_atomic(work / MANIFEST, [json.dumps(manifest, indent=1).encode()])
        work.rename(folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


@contextlib.contextmanager
def temporary_dataset(shards: int, examples_per_shard: int = 4096, n_features: int = 64, n_classes: int = 10,
                      seed: int = 0):
    """`write_dataset` into a fresh temporary folder; yields the folder and deletes it on exit."""
    parent = Path(tempfile.mkdtemp(prefix="kvtvp-shards-"))
    try:
        folder = parent / "dataset"
        write_dataset(folder, shards, examples_per_shard, n_features, n_classes, seed)
        yield folder
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def validate_shards(folder, checksums: bool = True) -> dict:
    """The manifest of `folder` after checking every shard is there, whole, and (optionally) intact.

    Raises:
        ShardError naming the first problem: no or unreadable manifest, a missing shard, a truncated
        (or too long) shard, a header that does not match, or a checksum that does not match.
    """
    check_bool("checksums", checksums)
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError as err:
        raise ShardError(f"no {MANIFEST} in {folder.name!r}: not a dataset written by write_dataset") from err
    except (OSError, ValueError) as err:
        raise ShardError(f"{MANIFEST} in {folder.name!r} is corrupt ({err})") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ShardError(f"{MANIFEST} in {folder.name!r} is not in the format {FORMAT!r}")
    for entry in manifest["shards"]:
        path = folder / entry["file"]
        if not path.is_file():
            raise ShardError(f"shard {entry['file']!r} is missing from {folder.name!r}")
        found = path.stat().st_size
        if found != entry["bytes"]:
            kind = "truncated" if found < entry["bytes"] else "longer than written"
            raise ShardError(f"shard {entry['file']!r} is {kind}: {found} bytes, expected {entry['bytes']}")
        with open(path, "rb") as f:
            magic, examples, features, crc = HEADER.unpack(f.read(HEADER.size))
            if (magic, examples, features, crc) != (MAGIC, entry["examples"], manifest["n_features"], entry["crc32"]):
                raise ShardError(f"shard {entry['file']!r} is corrupt: its header does not match the manifest")
            if checksums and zlib.crc32(f.read()) != crc:
                raise ShardError(f"shard {entry['file']!r} is corrupt: its checksum does not match")
    return manifest


def load_in_memory(folder) -> tuple[np.ndarray, np.ndarray]:
    """Every example of the dataset as two arrays (features, labels): memory grows with the data.

    The records are read straight into one array the size of the dataset (no second copy while loading).
    """
    manifest = validate_shards(folder, checksums=False)
    width, per_shard = manifest["n_features"] + 1, manifest["examples_per_shard"]
    values = np.empty((manifest["examples"], width), dtype="<f4")
    for i, entry in enumerate(manifest["shards"]):
        with open(Path(folder) / entry["file"], "rb") as f:
            f.seek(HEADER.size)
            f.readinto(memoryview(values[i * per_shard:(i + 1) * per_shard]).cast("B"))
    return values[:, :-1], values[:, -1].astype(np.int64)


def drop_from_page_cache(folder) -> bool:
    """Ask the operating system to drop the dataset's files from its page cache, so the next read is cold.

    Linux only, and no root needed: each file is flushed (`os.fdatasync`: a page not yet written to disk
    cannot be dropped), then `os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)`. The next read comes from
    the disk, or from whatever caches below this system (a virtual machine's host). Returns False where
    `posix_fadvise` does not exist (macOS, Windows): nothing is dropped there.
    """
    manifest = validate_shards(folder, checksums=False)
    if not hasattr(os, "posix_fadvise"):
        return False
    for name in [MANIFEST, *(e["file"] for e in manifest["shards"])]:
        fd = os.open(Path(folder) / name, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


class ShardBatches:
    """Batch i of the dataset, read from disk on demand: a map-style dataset (`__len__`, `__getitem__`).

    PyTorch's DataLoader takes it as it is (a map-style dataset is any object with these two methods);
    `keras_dataset` wraps it in a PyDataset. Batches come in shard order; no file stays open, so it
    is safe to use from worker processes. With `augment=True` each example goes through `augment_example`
    one at a time (Python work per example, as decoding images is): what makes workers worth their cost.
    """

    def __init__(self, folder, batch_size: int, manifest: dict | None = None, augment: bool = False):
        check_int("batch_size", batch_size, minimum=1)
        self.augment = check_bool("augment", augment)
        self.folder = Path(folder)
        self.manifest = validate_shards(folder, checksums=False) if manifest is None else manifest
        per_shard = self.manifest["examples_per_shard"]
        if per_shard % batch_size:
            raise ValueError(f"batch_size == {batch_size} must divide examples_per_shard == {per_shard}, "
                             "so that no batch straddles two shards")
        self.batch_size, self.per_shard = batch_size, per_shard // batch_size
        self.features = self.manifest["n_features"]

    def __len__(self) -> int:
        return len(self.manifest["shards"]) * self.per_shard

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} is out of range: the dataset has {len(self)} batches")
        entry = self.manifest["shards"][i // self.per_shard]
        width = self.features + 1
        with open(self.folder / entry["file"], "rb") as f:
            f.seek(HEADER.size + (i % self.per_shard) * self.batch_size * width * 4)
            values = np.fromfile(f, dtype="<f4", count=self.batch_size * width)
        if values.size != self.batch_size * width:
            raise ShardError(f"shard {entry['file']!r} is truncated: batch {i} could not be read whole")
        values = values.reshape(self.batch_size, width)
        x = values[:, :-1]
        if self.augment:
            rng = np.random.default_rng(i)  # the same augmentation whichever process reads batch i
            x = np.stack([augment_example(row, rng) for row in x])
        return x, values[:, -1].astype(np.int64)


def augment_example(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One example's per-example decode and augmentation: a random circular shift of the features, a
    random gain and Gaussian noise (a stand-in for decoding and augmenting an image, about as much Python
    work per example)."""
    shifted = np.roll(x, int(rng.integers(-3, 4)))
    noisy = shifted * np.float32(rng.uniform(0.9, 1.1)) + rng.standard_normal(x.shape, dtype=np.float32) * 0.05
    return np.clip(noisy, -5.0, 5.0).astype(np.float32)


def tf_dataset(folder, batch_size: int, cycle_length: int = 2, per_example: bool = False):
    """A tf.data pipeline streaming the shards: interleave, map (decode), batch, prefetch, AUTOTUNE.

    Args:
        folder: a dataset folder written by `write_dataset` (checked first).
        batch_size: examples per batch; must divide the examples per shard.
        cycle_length: how many shards are read at once; batches alternate between them, in a fixed
            order (`deterministic=True`): with 1, shard after shard.
        per_example: read one example per record and `batch` them (slow: tf.data's cost per element is
            paid for every example) instead of one whole batch per record.
    """
    check_int("cycle_length", cycle_length, minimum=1)
    check_bool("per_example", per_example)
    manifest = validate_shards(folder, checksums=False)
    ShardBatches(folder, batch_size, manifest)  # checks batch_size against the shards
    from utils.setup import import_tensorflow

    tf = import_tensorflow()
    auto, width = tf.data.AUTOTUNE, manifest["n_features"] + 1
    paths = [str(Path(folder) / e["file"]) for e in manifest["shards"]]
    record = manifest["record_bytes"] * (1 if per_example else batch_size)

    def decode(raw):
        values = tf.reshape(tf.io.decode_raw(raw, tf.float32), (-1, width))
        return values[:, :-1], tf.cast(values[:, -1], tf.int64)

    ds = tf.data.Dataset.from_tensor_slices(paths).interleave(
        lambda path: tf.data.FixedLengthRecordDataset(path, record, header_bytes=HEADER.size),
        cycle_length=cycle_length, num_parallel_calls=auto, deterministic=True)
    if per_example:
        ds = ds.batch(batch_size)
    batches = manifest["examples"] // batch_size  # told to tf.data, so Keras fit knows the epoch's length
    return ds.map(decode, num_parallel_calls=auto).apply(tf.data.experimental.assert_cardinality(batches)) \
        .prefetch(auto)


def torch_loader(folder, batch_size: int, num_workers: int = 0, prefetch_factor: int = 2, augment: bool = False,
                 multiprocessing_context=None):
    """A PyTorch DataLoader streaming the shards in order, with `num_workers` worker processes (0: none).

    Each batch comes whole from `ShardBatches` (so `batch_size=None` tells the DataLoader not to
    batch again); with workers, each holds up to `prefetch_factor` batches ready and sends each batch to
    the calling process. Workers start with `multiprocessing_context` (None: the platform's default, a fork
    of the calling process on Linux, a fresh interpreter on macOS and Windows). Fork only a process that
    runs no TensorFlow or JAX threads (a forked copy of a lock one of them holds can hang the worker):
    notebook 05 runs its workers in a child process that imports PyTorch only (`utils.workers`).
    `augment`: see `ShardBatches`.
    """
    check_int("num_workers", num_workers, minimum=0)
    check_int("prefetch_factor", prefetch_factor, minimum=1)
    batches = ShardBatches(folder, batch_size, augment=augment)
    from torch.utils.data import DataLoader

    extra = {"prefetch_factor": prefetch_factor, "multiprocessing_context": multiprocessing_context} \
        if num_workers else {}
    return DataLoader(batches, batch_size=None, shuffle=False, num_workers=num_workers, **extra)


def keras_dataset(folder, batch_size: int, workers: int = 1, use_multiprocessing: bool = False,
                  max_queue_size: int = 10):
    """A keras.utils.PyDataset streaming the shards in order (give `fit` `shuffle=False` to keep it).

    Args:
        workers: threads (or processes, with `use_multiprocessing=True`) that read batches ahead; at
            least 1. Keras reads in the calling thread only when workers == 1 and no multiprocessing.
        max_queue_size: batches the workers may hold ready.
    """
    check_int("workers", workers, minimum=1)
    check_bool("use_multiprocessing", use_multiprocessing)
    check_int("max_queue_size", max_queue_size, minimum=1)
    batches = ShardBatches(folder, batch_size)
    import keras

    class Shards(keras.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, i):
            return batches[i]

    return Shards(workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
