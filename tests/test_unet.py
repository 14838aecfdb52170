"""The U-Net builder of chapter 08c (course_lib.unet): shapes, outputs and input validation.

Chapter 08e's translator is a different network (translation.build_unet_generator, tested in
test_translation.py); the segmentation measures are tested in test_segmentation.py.
"""
from course_lib.unet import build_unet

import keras
import numpy as np
import pytest


def test_segmentation_unet_gives_a_probability_per_class_per_pixel():
    model = build_unet((32, 32, 1), 11, base_filters=4, depth=2)
    probabilities = np.asarray(model(np.random.default_rng(0).random((3, 32, 32, 1), dtype=np.float32)))
    assert probabilities.shape == (3, 32, 32, 11)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    assert probabilities.min() >= 0


def test_bottleneck_is_two_to_the_depth_times_smaller_and_filters_double():
    model = build_unet((32, 48, 1), 3, base_filters=4, depth=3)
    assert tuple(model.get_layer("bottleneck_act2").output.shape[1:]) == (4, 6, 32)
    assert [model.get_layer(f"enc{level}_act2").output.shape[-1] for level in (1, 2, 3)] == [4, 8, 16]
    assert sum(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers) == 3
    assert sum(isinstance(layer, keras.layers.Conv2DTranspose) for layer in model.layers) == 3


def test_skip_connections_join_maps_of_equal_size():
    model = build_unet((16, 16, 2), 5, base_filters=4, depth=2)
    for level, size in ((1, 16), (2, 8)):
        joined = model.get_layer(f"dec{level}_skip").output
        assert tuple(joined.shape[1:3]) == (size, size)
        # half the channels come from the decoder, half from the encoder skip
        assert joined.shape[-1] == 2 * 4 * 2 ** (level - 1)


def test_numpy_ints_are_accepted():
    # sizes often come out of arrays as NumPy integers
    model = build_unet(tuple(np.array([16, 16, 1])), np.int64(4), base_filters=np.int32(2), depth=np.int64(3))
    assert model.output_shape == (None, 16, 16, 4)
    assert tuple(model.get_layer("bottleneck_act2").output.shape[1:3]) == (2, 2)
    assert build_unet((8, 8, 1), 2, base_filters=2, depth=np.int64(1)).output_shape == (None, 8, 8, 2)


@pytest.mark.parametrize("kwargs, word", [
    (dict(input_shape=(30, 32, 1)), "divisible"),
    (dict(input_shape=(32, 32)), "input_shape"),
    (dict(input_shape=(32, 32.0, 1)), "input_shape"),
    (dict(output_channels=0), "output_channels"),
    (dict(output_channels=True), "output_channels"),
    (dict(base_filters=2.5), "base_filters"),
    (dict(depth=0), "depth"),
])
def test_bad_arguments_are_named(kwargs, word):
    arguments = dict(input_shape=(32, 32, 1), output_channels=11)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=word):
        build_unet(**arguments)
