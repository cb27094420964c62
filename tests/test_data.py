import numpy as np
import pytest

from utils import data


@pytest.mark.parametrize("name", sorted(data.LOADERS))
def test_every_dataset_loads_offline_with_a_fixed_split(name):
    a, b = data.load(name), data.load(name)
    assert a.x_train.dtype == np.float32 and a.y_train.dtype == np.int64
    assert len(a.x_train) == len(a.y_train) and len(a.x_test) == len(a.y_test)
    total = len(data.LOADERS[name](0)[1])
    assert len(a.x_train) + len(a.x_test) == total
    assert abs(len(a.x_test) / total - 0.25) < 0.01, "the default test fraction"
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert set(np.unique(a.y_test)) == set(range(a.n_classes)), "stratified: every class in the test set"


def test_digits_shape_and_scale():
    ds = data.load("digits")
    assert (len(ds.x_train), len(ds.x_test), ds.n_features, ds.n_classes) == (1347, 450, 64, 10)
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    assert "1347 train / 450 test" in repr(ds)


def test_other_seed_gives_another_split():
    assert not np.array_equal(data.load("iris", seed=0).y_train, data.load("iris", seed=1).y_train)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "mnist"}, "name == 'mnist', must be one of"),
    ({"name": "iris", "test_fraction": 1.5}, "test_fraction == 1.5, must be < 1"),
    ({"name": "iris", "test_fraction": 0}, "test_fraction == 0.0, must be > 0"),
    ({"name": "iris", "seed": -1}, "seed == -1, must be >= 0"),
])
def test_load_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load(**kwargs)


def test_as_images_layouts():
    x = data.load("digits").x_train[:5]
    last, first = data.as_images(x), data.as_images(x, "channels_first")
    assert last.shape == (5, 8, 8, 1) and first.shape == (5, 1, 8, 8)
    assert np.array_equal(last[..., 0], first[:, 0])
    with pytest.raises(ValueError, match="shape \\(n, 64\\)"):
        data.as_images(np.zeros((5, 10)))
    with pytest.raises(ValueError, match="layout == "):
        data.as_images(x, "NHWC")


def test_batch_order_covers_every_example_once_and_changes_each_epoch():
    first, second = data.batch_order(10, 4, epoch=0), data.batch_order(10, 4, epoch=1)
    assert [len(b) for b in first] == [4, 4, 2]
    assert sorted(np.concatenate(first)) == list(range(10))
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    assert np.array_equal(np.concatenate(data.batch_order(10, 4, shuffle=False)), np.arange(10))


@pytest.mark.parametrize(("batch_size", "error"), [(0, ValueError), (-1, ValueError), (2.0, TypeError),
                                                   (None, TypeError)])
def test_bad_batch_sizes_are_rejected(batch_size, error):
    x, y = np.zeros((6, 2), np.float32), np.zeros(6, np.int64)
    with pytest.raises(error, match="batch_size"):
        data.batch_order(6, batch_size)
    for adapter in (data.keras_batches, data.tf_batches, data.torch_batches):
        with pytest.raises(error, match="batch_size"):
            adapter(x, y, batch_size)


@pytest.mark.parametrize(("kwargs", "error", "words"), [({"seed": -1}, ValueError, "seed == -1"),
                                                        ({"shuffle": "yes"}, TypeError, "shuffle must be True")])
def test_adapters_check_seed_and_shuffle_before_the_first_batch(kwargs, error, words):
    x, y = np.zeros((6, 2), np.float32), np.zeros(6, np.int64)
    for adapter in (data.keras_batches, data.tf_batches, data.torch_batches):
        with pytest.raises(error, match=words):
            adapter(x, y, 2, **kwargs)


def test_adapters_reject_mismatched_or_non_array_input():
    x, y = np.zeros((6, 2), np.float32), np.zeros(5, np.int64)
    with pytest.raises(ValueError, match="same number of rows"):
        data.torch_batches(x, y, 2)
    with pytest.raises(TypeError, match="must be NumPy arrays"):
        data.tf_batches(x.tolist(), y, 2)
    with pytest.raises(ValueError, match="empty"):
        data.keras_batches(x[:0], y[:0], 2)


def _passes(batches, epochs, as_numpy):
    return [[as_numpy(bx) for bx, _ in batches] for _ in range(epochs)]


def _expected(x, epochs, batch_size=16, seed=7):
    return [[x[idx] for idx in data.batch_order(len(x), batch_size, epoch=e, seed=seed)] for e in range(epochs)]


def _same(got, expected):
    assert len(got) == len(expected)
    for batches, wanted in zip(got, expected, strict=True):
        assert len(batches) == len(wanted)
        assert all(np.array_equal(a, b) for a, b in zip(batches, wanted, strict=True))


def test_tf_and_torch_loops_get_the_same_batches_in_the_same_order():
    ds = data.load("iris")
    x, y = ds.x_train, ds.y_train
    _same(_passes(data.tf_batches(x, y, 16, seed=7), 3, lambda t: t.numpy()), _expected(x, 3))
    _same(_passes(data.torch_batches(x, y, 16, seed=7), 3, lambda t: t.numpy()), _expected(x, 3))
    labels = [by.numpy() for _, by in data.torch_batches(x, y, 16, seed=7)]
    assert np.array_equal(labels[0], y[data.batch_order(len(x), 16, seed=7)[0]])


def test_a_peek_at_the_first_batch_does_not_skip_a_pass():
    ds = data.load("iris")
    x, y = ds.x_train, ds.y_train
    for loader, as_numpy in ((data.torch_batches(x, y, 16, seed=7), lambda t: t.numpy()),
                             (data.tf_batches(x, y, 16, seed=7), lambda t: t.numpy())):
        next(iter(loader))  # what a consumer does to learn the shapes
        _same(_passes(loader, 2, as_numpy), _expected(x, 2))


@pytest.mark.parametrize("adapter", ["keras_batches", "tf_batches", "torch_batches"])
def test_keras_fit_trains_on_the_same_batches_in_the_same_order(adapter):
    import keras

    class Recorder(keras.Model):
        """Records the batches `fit` hands to train_step (run eagerly, so plain Python runs each step)."""

        def __init__(self):
            super().__init__()
            self.dense, self.seen = keras.layers.Dense(1), []

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, batch):
            self.seen.append(keras.ops.convert_to_numpy(batch[0]))
            return {"batches_seen": len(self.seen)}

    ds = data.load("iris")
    x, y = ds.x_train, ds.y_train
    model = Recorder()
    model.compile(run_eagerly=True)
    model.fit(getattr(data, adapter)(x, y, 16, seed=7), epochs=3, shuffle=False, verbose=0)
    expected = _expected(x, 3)
    per_epoch = len(expected[0])
    _same([model.seen[e * per_epoch:(e + 1) * per_epoch] for e in range(3)], expected)


def _passes_fit_trains_on(epochs):
    """(pass, batch) of every batch `fit` takes from data.keras_batches, on this process's Keras back end."""
    import keras
    import numpy as np

    from utils import data

    dataset = data.keras_batches(np.ones((20, 2), "float32"), np.zeros(20, "int64"), 5, seed=7)
    served, serve = [], type(dataset).__getitem__
    type(dataset).__getitem__ = lambda self, i: served.append((self.epoch, i)) or serve(self, i)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(dataset, epochs=epochs, shuffle=False, verbose=0)
    return served


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_keras_fit_takes_each_pass_once_in_order_on_every_backend(backend):
    from utils import backends

    served = backends.run_in_backend(backend, _passes_fit_trains_on, 3)
    trained = [[e, i] for e in range(3) for i in range(4)]
    assert served[-len(trained):] == trained, served  # before them, at most a peek at pass 0
    assert all(e == 0 for e, _ in served[:-len(trained)]), served
