"""Model builders, training callbacks and pictures (course_lib.models, train, viz)."""
import time

import matplotlib

matplotlib.use("Agg")
from course_lib import models, train, viz  # noqa: E402

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_article_cnn_is_the_article_model():
    model = models.build_article_cnn()
    assert model.count_params() == models.ARTICLE_CNN_PARAMS == 93_322
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense",
                     "Dense"]
    counts = [layer.count_params() for layer in model.layers if layer.count_params()]
    assert counts == [320, 18496, 36928, 36928, 650]
    assert model.layers[-1].activation.__name__ == "softmax"
    assert model.output_shape == (None, 10)


def test_improved_cnn_shapes_and_validation():
    model = models.build_improved_cnn()
    assert model.output_shape == (None, 10)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 3
    probabilities = keras.ops.convert_to_numpy(model(np.zeros((2, 28, 28, 1), "float32")))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert models.build_improved_cnn((32, 32, 3), num_classes=4).output_shape == (None, 4)
    with pytest.raises(ValueError, match="input_shape should be \\(height, width, channels\\)"):
        models.build_improved_cnn((28, 28))
    with pytest.raises(ValueError, match="filters should be 3 positive ints"):
        models.build_improved_cnn(filters=(16, 32))
    with pytest.raises(ValueError, match=r"dropout should be a number in \[0.0, 1.0\), got 1.5"):
        models.build_improved_cnn(dropout=1.5)
    with pytest.raises(TypeError, match=r"input_shape should be \(height, width, channels\).*got \(28.0, 28"):
        models.build_improved_cnn((28.0, 28, 1))


def test_one_cycle_schedule_warms_up_then_decays():
    schedule = models.one_cycle_schedule(1e-2, total_steps=100, warmup_fraction=0.1)
    rates = np.array([float(schedule(step)) for step in range(100)])
    assert rates[0] < 1e-3 and abs(rates.max() - 1e-2) < 1e-6
    assert 8 <= int(rates.argmax()) <= 11
    assert np.all(np.diff(rates[12:]) <= 1e-9) and rates[-1] < 1e-4
    with pytest.raises(ValueError, match="total_steps"):
        models.one_cycle_schedule(1e-2, total_steps=1)


def tiny_training(callbacks, epochs=2, batch_size=16):
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=callbacks)
    return model, history, x, y


def test_throughput_counts_images_and_time():
    meter = train.Throughput(batch_size=16)
    tiny_training([meter], epochs=3)
    assert len(meter.epoch_seconds) == 3 and meter.epoch_images == [64, 64, 64]
    assert meter.images_per_second > 0 and meter.total_seconds >= sum(meter.epoch_seconds) * 0.99
    with pytest.raises(ValueError, match="batch_size should be a positive int"):
        train.Throughput(batch_size=0)


def test_throughput_does_not_count_other_callbacks_work():
    class Slow(keras.callbacks.Callback):   # stands in for an evaluation between batches
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.05)

        def on_epoch_end(self, epoch, logs=None):
            time.sleep(0.2)

    meter = train.Throughput(batch_size=16)
    tiny_training([meter, Slow()], epochs=2)      # 4 batches per epoch: 0.4 s of sleep per epoch
    assert meter.total_seconds > 0.8
    assert sum(meter.epoch_seconds) < meter.total_seconds - 0.75, (meter.epoch_seconds, meter.total_seconds)


def test_evaluate_each_epoch_records_rows_and_target():
    rng = np.random.default_rng(1)
    x_val = rng.random((32, 28, 28, 1)).astype("float32")
    y_val = (x_val.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    evaluator = train.EvaluateEachEpoch(x_val, y_val, target=0.0)
    model, *_ = tiny_training([evaluator], epochs=2)
    assert [row[0] for row in evaluator.rows] == [1, 2]
    assert evaluator.rows[0][1] <= evaluator.rows[1][1]
    expected = np.mean(model.predict(x_val, verbose=0).argmax(1) == y_val)
    assert evaluator.rows[-1][2] == pytest.approx(expected)
    assert len(evaluator.correct) == 2 and evaluator.correct[-1].shape == (32,)
    assert [c.mean() for c in evaluator.correct] == pytest.approx([row[2] for row in evaluator.rows])
    assert evaluator.seconds_to_target == evaluator.rows[0][1], "target 0 is reached after the first epoch"
    never = train.EvaluateEachEpoch(x_val, y_val, target=1.01)
    tiny_training([never], epochs=1)
    assert never.seconds_to_target is None
    quarters = train.EvaluateEachEpoch(x_val, y_val, evaluations_per_epoch=4)
    tiny_training([quarters], epochs=2, batch_size=4)          # 16 steps per epoch: every 4 steps
    assert [row[0] for row in quarters.rows] == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    seconds = [row[1] for row in quarters.rows]
    assert seconds == sorted(seconds)
    with pytest.raises(ValueError, match="evaluations_per_epoch should be a positive int"):
        train.EvaluateEachEpoch(x_val, y_val, evaluations_per_epoch=0)


def test_live_plot_records_history_outside_notebooks():
    live = train.LivePlot()
    _, history, *_ = tiny_training([live], epochs=2)
    assert live.history["loss"] == pytest.approx(history.history["loss"])


def test_device_report_keys(capsys):
    report = train.device_report()
    assert {"keras", "backend", "device", "dtype_policy", "course_mode"} <= set(report)
    assert report["backend"] == keras.backend.backend()
    assert "backend" in capsys.readouterr().out
    assert report[keras.backend.backend()]                  # the backend's own version
    assert report["device"].startswith(("CPU (", "GPU (", "TPU ("))


def test_device_report_names_accelerator_models(monkeypatch):
    monkeypatch.setattr(train, "_accelerators", lambda: [("GPU", "NVIDIA H200"), ("GPU", "NVIDIA H200")])
    report = train.device_report(verbose=False)
    assert report["device"] == "GPU (NVIDIA H200, NVIDIA H200)" and report["gpu_count"] == 2
    monkeypatch.setattr(train, "_accelerators", lambda: [("TPU", "TPU v4")])
    assert train.device_report(verbose=False)["device"] == "TPU (TPU v4)"


def test_show_images_titles_and_errors():
    images = np.zeros((3, 28, 28), np.uint8)
    figure = viz.show_images(images, labels=[1, 2, 3], predictions=[1, 5, 3], ncols=3)
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["1→1", "2→5", "3→3"]
    assert figure.axes[1].title.get_color() == "red"
    with pytest.raises(ValueError, match="labels should have one entry per image"):
        viz.show_images(images, labels=[1, 2])
    with pytest.raises(ValueError, match="images should be a batch"):
        viz.show_images(np.zeros((28, 28)))
    assert len(viz.show_images(images, ncols=np.int64(2)).axes) == 4, "a NumPy int is an int (2 rows of 2)"
    with pytest.raises(TypeError, match=r"ncols should be a positive int, got 2.0"):
        viz.show_images(images, ncols=2.0)
    with pytest.raises(ValueError, match=r"ncols should be a positive int, got 0"):
        viz.show_images(images, ncols=0)


def test_confusion_matrix_and_worst_mistakes():
    matrix = viz.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], num_classes=3)
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert viz.worst_mistakes(probabilities, [0, 0, 1, 0]).tolist() == [1, 3, 2]
    with pytest.raises(ValueError, match="same length"):
        viz.confusion_matrix([0, 1], [0])
    assert viz.confusion_matrix(np.array([0, 2], np.uint8), np.array([2, 2], np.int32)).shape == (3, 3)
    figure = viz.plot_confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], class_names=["a", "b", "c"],
                                       title="mistakes")
    (axis,) = figure.axes
    assert axis.get_title() == "mistakes" and (axis.get_xlabel(), axis.get_ylabel()) == ("predicted", "true")
    assert [label.get_text() for label in axis.get_xticklabels()] == ["a", "b", "c"]
    (drawn,) = axis.get_images()
    assert np.allclose(drawn.get_array(), np.log1p(matrix))  # rows are true classes, columns predictions
    assert sorted((text.get_position(), text.get_text()) for text in axis.texts) == [
        ((0, 0), "1"), ((1, 1), "1"), ((2, 1), "1"), ((2, 2), "1")]  # (column, row): only non-zero counts


@pytest.mark.parametrize("call, error, message", [
    # float labels were truncated (1.7 counted as class 1) without a word
    (lambda: viz.confusion_matrix([0.5, 1.7], [0, 1]), TypeError,
     "y_true should hold int class labels, got dtype float64"),
    (lambda: viz.confusion_matrix([0, 1], ["0", "1"]), TypeError, "y_pred should hold int class labels"),
    (lambda: viz.confusion_matrix([0, 1], [0, 1], num_classes=0), ValueError,
     "num_classes should be a positive int, got 0"),
    (lambda: viz.confusion_matrix([0, 1], [0, 1], num_classes=2.0), TypeError,
     "num_classes should be a positive int"),
    # without num_classes a -1 used to read "should lie in 0..0 (num_classes=1)"
    (lambda: viz.confusion_matrix([0, -1], [0, 1]), ValueError, "class indices >= 0, got -1 in y_true"),
    (lambda: viz.confusion_matrix([0, 1], [0, 3], num_classes=3), ValueError,
     r"should lie in 0..2 \(num_classes=3\), got 3 in y_pred"),
    # count=-1 used to return every mistake but the last
    (lambda: viz.worst_mistakes(np.eye(2), [1, 0], count=-1), ValueError,
     "count should be a positive int, got -1"),
    (lambda: viz.worst_mistakes(np.eye(2), [1, 0], count="3"), TypeError,
     "count should be a positive int, got '3'"),
    (lambda: viz.worst_mistakes(np.eye(2), [0.5, 0], count=1), TypeError,
     "y_true should hold int class labels"),
])
def test_confusion_matrix_and_worst_mistakes_refuse_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_worst_mistakes_takes_a_numpy_count():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert viz.worst_mistakes(probabilities, [0, 0, 1, 0], count=np.int64(2)).tolist() == [1, 3]


def test_feature_maps_of_sequential_and_functional_models():
    article = models.build_article_cnn()
    image = np.random.default_rng(0).random((28, 28)).astype("float32")
    maps = viz.feature_maps(article, image)
    assert [m.shape for m in maps.values()] == [(26, 26, 32), (11, 11, 64), (3, 3, 64)]
    # equal to running the layers by hand
    first = article.layers[0](image[None, ..., None])
    assert np.allclose(maps[article.layers[0].name], keras.ops.convert_to_numpy(first)[0], atol=1e-5)
    improved = models.build_improved_cnn()
    chosen = viz.feature_maps(improved, image[..., None], layers=[improved.layers[1].name])
    assert list(chosen) == [improved.layers[1].name] and chosen[improved.layers[1].name].shape == (26, 26, 16)
    figure = viz.show_feature_maps(article, image, max_channels=4)
    blocks = figure.subfigs
    assert len(blocks) == 3, "one block per conv layer"
    assert [block._suptitle.get_text() for block in blocks] == [
        "conv 1: 26×26, 32 maps (first 4 shown)", "conv 2: 11×11, 64 maps (first 4 shown)",
        "conv 3: 3×3, 64 maps (first 4 shown)"]          # names a learner recognises, not "conv2d_14"
    for index, (block, fmap) in enumerate(zip(blocks, maps.values())):
        row = block.axes                                # one row: the input column, then 4 maps
        assert len(row) == 5
        assert bool(row[0].get_images()) == (index == 0)   # the input is drawn once, at the top left
        for channel, axis in enumerate(row[1:]):
            assert np.allclose(axis.get_images()[0].get_array(), fmap[..., channel], atol=1e-5)
    assert np.allclose(blocks[0].axes[0].get_images()[0].get_array(), image)
    assert figure.get_suptitle().startswith("feature maps of one image")


def test_feature_maps_come_in_a_readable_grid():
    """Chapter 02 shows 16 maps of one layer: two rows of 8 (was one strip of 17 thumbnails)."""
    article = models.build_article_cnn()
    image = np.random.default_rng(1).random((28, 28)).astype("float32")
    first = viz.conv_layers(article)[0]
    figure = viz.show_feature_maps(article, image, layers=[first.name])
    (block,) = figure.subfigs
    assert len(block.axes) == 2 * 9, "2 rows of the input column and 8 maps"
    assert sum(bool(axis.get_images()) for axis in block.axes) == 1 + 16
    assert block._suptitle.get_text() == "conv 1: 26×26, 32 maps (first 16 shown)"
    width, height = figure.get_size_inches()
    assert width < 12 and height > 2.5, "wide enough to read in a notebook, not a 19-inch strip"
    assert viz._grid_shape(12) == (2, 6) and viz._grid_shape(32) == (4, 8) and viz._grid_shape(3) == (1, 3)
    assert viz.layer_label(article, viz.conv_layers(article)[2]) == "conv 3"
    assert viz.layer_label(article, first.name) == "conv 1"
    all_maps = viz.show_feature_maps(article, image, layers=[first.name], max_channels=32)
    assert all_maps.subfigs[0]._suptitle.get_text() == "conv 1: 26×26, 32 maps"


def test_feature_maps_errors_name_the_problem():
    article = models.build_article_cnn()
    with pytest.raises(ValueError, match="should have the model's input shape \\(28, 28, 1\\)"):
        viz.feature_maps(article, np.zeros((32, 32)))
    with pytest.raises(ValueError, match="not a convolutional layer"):
        viz.feature_maps(article, np.zeros((28, 28)), layers=["dense"])
    dense_only = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has no convolutional layer"):
        viz.feature_maps(dense_only, np.zeros(4))
    with pytest.raises(TypeError, match="keras.Model"):
        viz.feature_maps("model", np.zeros((28, 28)))


def test_show_kernels_and_table():
    article = models.build_article_cnn()
    figure = viz.show_kernels(article.layers[0])
    assert len([a for a in figure.axes if a.images]) == 32
    with pytest.raises(TypeError, match="Conv2D-like layer"):
        viz.show_kernels(article.layers[-1])
    table = viz.Table([{"a": 1, "b": 0.12345}, {"a": 2, "b": None}], title="t")
    assert "0.1235" in repr(table) and "—" in repr(table) and "<th>a</th>" in table._repr_html_()
    assert "metric" in repr(viz.Table.from_dict({"x": 1}))


def test_time_budget_says_whether_it_cut_training_short():
    x = np.zeros((32, 4), dtype="float32")
    y = np.zeros((32,), dtype="int64")

    def fit_with(budget):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[budget])
        return budget

    cut = fit_with(train.TimeBudget(seconds=1e-3))
    assert cut.stopped_early and cut.epochs_run == 1
    assert "stopped training after 1 epoch of the 4 planned" in cut.summary()
    assert "raise the budget" in cut.summary()
    whole = fit_with(train.TimeBudget(seconds=600))
    assert not whole.stopped_early and whole.epochs_run == 4
    assert whole.summary().startswith("Training ran 4 epochs of the 4 planned")


@pytest.mark.parametrize("seconds, error, message", [
    ("10", TypeError, r"seconds should be a positive number, got '10' \(a str\)"),   # was a raw '>' TypeError
    (0, ValueError, "seconds should be a positive number, got 0"),
    (-5, ValueError, "seconds should be a positive number, got -5"),
    (float("inf"), ValueError, "seconds should be a finite number, got inf"),
])
def test_time_budget_refuses_what_is_not_a_positive_number(seconds, error, message):
    with pytest.raises(error, match=message):
        train.TimeBudget(seconds)


def test_time_budget_takes_numpy_numbers():
    assert train.TimeBudget(np.float32(2.5)).seconds == 2.5 and train.TimeBudget(np.int64(3)).seconds == 3.0


def test_with_random_shifts_moves_digits_in_training_only():
    network = models.build_improved_cnn()
    wrapper = models.with_random_shifts(network, max_shift=2, seed=0)
    assert wrapper.layers[-1] is network          # the network trained inside is the network itself
    images = np.zeros((16, 28, 28, 1), "float32")
    images[:, 12:16, 12:16] = 1.0                 # a 4x4 square of ink in the middle
    moved = np.asarray(wrapper.layers[0](images, training=True))
    rows = np.argmax(moved[..., 0].any(axis=2), axis=1)
    columns = np.argmax(moved[..., 0].any(axis=1), axis=1)
    assert np.all(np.abs(rows - 12) <= 2) and np.all(np.abs(columns - 12) <= 2)
    assert np.allclose(moved.sum(axis=(1, 2, 3)), 16.0)      # whole pixels: the ink is kept, only moved
    assert len({(r, c) for r, c in zip(rows, columns)}) > 1   # not the same shift for every image
    assert np.array_equal(np.asarray(wrapper.layers[0](images, training=False)), images)
    assert np.allclose(wrapper.predict(images, verbose=0), network.predict(images, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="max_shift"):
        models.with_random_shifts(network, max_shift=0)
