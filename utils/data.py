"""Offline datasets as NumPy arrays with a fixed split, and the same batches for every framework.

Used by notebooks 01, 04 and 05 (and by utils.equivalence and utils.defaults).

    from utils import data
    ds = data.load("digits")                               # 1347 train / 450 test, 64 features, 10 classes
    data.keras_batches(ds.x_train, ds.y_train, 32)         # a keras.utils.PyDataset for model.fit
    data.tf_batches(ds.x_train, ds.y_train, 32)            # a tf.data.Dataset
    data.torch_batches(ds.x_train, ds.y_train, 32)         # a torch DataLoader

Pass e of any of the three yields the batches of `batch_order(n, batch_size, epoch=e, seed=seed)`: the
same examples, in the same order, whichever framework consumes them (a test trains through Keras `fit`
with each adapter and checks the batches it saw). Give Keras `fit(..., shuffle=False)`: its default
`shuffle=True` reorders a PyDataset's batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

from utils.checks import check_bool, check_choice, check_int, check_number


def _synthetic(n_samples: int, seed: int):
    return skd.make_classification(
        n_samples=n_samples, n_features=20, n_informative=10, n_classes=4, class_sep=1.5, random_state=seed
    )


# Each loader returns (features, labels); all of them work offline (bundled in scikit-learn or generated).
LOADERS = {
    "digits": lambda seed: skd.load_digits(return_X_y=True),
    "iris": lambda seed: skd.load_iris(return_X_y=True),
    "wine": lambda seed: skd.load_wine(return_X_y=True),
    "breast_cancer": lambda seed: skd.load_breast_cancer(return_X_y=True),
    "synthetic": lambda seed: _synthetic(2000, seed),
}


@dataclass(frozen=True)
class Dataset:
    """A fixed train/test split: float32 features, int64 labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {len(self.x_train)} train / {len(self.x_test)} test, "
                f"{self.n_features} features, {self.n_classes} classes)")


def load(name: str, test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """Load an offline dataset, split it (stratified, seeded) and standardise it with train statistics.

    `digits` keeps its pixel grid meaning: pixels 0..16 are scaled to 0..1 instead of standardised.
    """
    check_choice("name", name, sorted(LOADERS))
    test_fraction = check_number("test_fraction", test_fraction, minimum=0, maximum=1, inclusive=False)
    check_int("seed", seed, minimum=0)
    x, y = LOADERS[name](seed)
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype(np.float32), y.astype(np.int64), test_size=test_fraction, random_state=seed, stratify=y
    )
    if name == "digits":
        x_train, x_test = x_train / 16.0, x_test / 16.0
    else:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-7
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return Dataset(name, x_train.astype(np.float32), y_train, x_test.astype(np.float32), y_test)


def as_images(x: np.ndarray, layout: str = "channels_last") -> np.ndarray:
    """Digits rows (n, 64) as 8x8 one-channel images: (n, 8, 8, 1) channels_last or (n, 1, 8, 8) channels_first."""
    x = np.asarray(x)
    check_choice("layout", layout, ("channels_last", "channels_first"))
    if x.ndim != 2 or x.shape[1] != 64:
        raise ValueError(f"expected digits features of shape (n, 64), got {x.shape}")
    return x.reshape(-1, 8, 8, 1) if layout == "channels_last" else x.reshape(-1, 1, 8, 8)


def batch_order(n: int, batch_size: int, epoch: int = 0, seed: int = 0, shuffle: bool = True) -> list[np.ndarray]:
    """The index arrays of each batch of pass `epoch` over `n` examples (the last batch may be smaller)."""
    check_int("n", n, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    check_int("seed", seed, minimum=0)
    check_int("epoch", epoch, minimum=0)
    check_bool("shuffle", shuffle)
    order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else np.arange(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def _check_arrays(x, y, batch_size: int, seed: int, shuffle: bool) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"x and y must be NumPy arrays, got {type(x).__name__} and {type(y).__name__}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of rows, got {len(x)} and {len(y)}")
    batch_order(max(len(x), 1), batch_size, seed=seed, shuffle=shuffle)  # validates batch_size, seed, shuffle
    if len(x) == 0:
        raise ValueError("x and y are empty: there is nothing to batch")
    return x, y


class _Passes:
    """Serves pass after pass of `batch_order`; a pass counts as done once its last batch is served.

    So a consumer that peeks at the first batch (as Keras does to read shapes) does not skip a pass.
    """

    def __init__(self, n: int, batch_size: int, seed: int, shuffle: bool):
        self.n, self.batch_size, self.seed, self.shuffle, self.epoch = n, batch_size, seed, shuffle, 0

    def batches(self, epoch: int) -> list[np.ndarray]:
        return batch_order(self.n, self.batch_size, epoch, self.seed, self.shuffle)

    def serve(self):
        batches = self.batches(self.epoch)
        for i, batch in enumerate(batches):
            if i == len(batches) - 1:
                self.epoch += 1
            yield batch


def keras_batches(x, y, batch_size: int, seed: int = 0, shuffle: bool = True):
    """A keras.utils.PyDataset serving the fixed batch order (works on every Keras back end).

    Keras calls `on_epoch_begin` at the start of each epoch of `fit`; that is what moves to the next pass,
    once the pass before was served whole. Keras also peeks at a batch or two before training (on JAX and
    PyTorch inside an epoch of its own, with its own `on_epoch_begin`): a peek does not count as a pass.
    """
    import keras

    x, y = _check_arrays(x, y, batch_size, seed, shuffle)

    class FixedOrder(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch, self.served = 0, set()  # the pass being served, and the batches of it served so far
            self.batches = batch_order(len(x), batch_size, 0, seed, shuffle)

        def __len__(self):
            return len(self.batches)

        def __getitem__(self, i):
            self.served.add(i)
            return x[self.batches[i]], y[self.batches[i]]

        def on_epoch_begin(self):
            if len(self.served) == len(self.batches):  # the last pass was served whole, not peeked at
                self.epoch += 1
            self.served = set()
            self.batches = batch_order(len(x), batch_size, self.epoch, seed, shuffle)

    return FixedOrder()


def tf_batches(x, y, batch_size: int, seed: int = 0, shuffle: bool = True):
    """A tf.data.Dataset serving the fixed batch order; each full iteration is the next pass."""
    import tensorflow as tf

    x, y = _check_arrays(x, y, batch_size, seed, shuffle)
    passes = _Passes(len(x), batch_size, seed, shuffle)
    spec = tf.TensorSpec(shape=(None,), dtype=tf.int64)
    xs, ys = tf.constant(x), tf.constant(y)
    return (tf.data.Dataset.from_generator(passes.serve, output_signature=spec)
            .map(lambda idx: (tf.gather(xs, idx), tf.gather(ys, idx)))
            .apply(tf.data.experimental.assert_cardinality(len(passes.batches(0)))))  # fit knows the length


def torch_batches(x, y, batch_size: int, seed: int = 0, shuffle: bool = True):
    """A torch DataLoader serving the fixed batch order; each full iteration is the next pass.

    Each batch is one indexing of the whole tensors (the sampler yields a batch's indices and
    `batch_size=None` turns off collation): a `batch_sampler` over a TensorDataset would fetch every
    example alone and stack them (several times slower: on the digits it cost more than the training).
    """
    import torch
    from torch.utils.data import DataLoader, Dataset, Sampler

    x, y = _check_arrays(x, y, batch_size, seed, shuffle)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)

    class WholeBatches(Dataset):
        def __len__(self):
            return len(xs)

        def __getitem__(self, indices):
            return xs[indices], ys[indices]

    class FixedOrder(Sampler):
        def __init__(self):
            self.passes = _Passes(len(x), batch_size, seed, shuffle)

        def __len__(self):
            return -(-len(x) // batch_size)

        def __iter__(self):
            return (torch.from_numpy(b) for b in self.passes.serve())

    return DataLoader(WholeBatches(), sampler=FixedOrder(), batch_size=None)

