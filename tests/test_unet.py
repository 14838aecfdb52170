"""The U-Net builder (chapter 08c; reused by 08e): shapes, outputs and input validation."""
import numpy as np
import pytest

from course_lib.unet import build_unet


def test_segmentation_unet_gives_a_probability_per_class_per_pixel():
    model = build_unet((32, 32, 1), 11, base_filters=4, depth=2)
    probabilities = np.asarray(model(np.random.default_rng(0).random((3, 32, 32, 1), dtype=np.float32)))
    assert probabilities.shape == (3, 32, 32, 11)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    assert probabilities.min() >= 0


def test_image_to_image_unet_is_configurable():
    model = build_unet((32, 48, 1), 3, base_filters=4, depth=3, final_activation="tanh",
                       downsample="strided", upsample="bilinear", activation="leaky_relu", dropout=0.5)
    out = np.asarray(model(np.zeros((2, 32, 48, 1), np.float32)))
    assert out.shape == (2, 32, 48, 3)
    assert np.all(np.abs(out) <= 1)
    assert any(layer.name == "bottleneck_dropout" for layer in model.layers)
    # the bottleneck is 2**depth times smaller than the input
    bottleneck = model.get_layer("bottleneck_act2").output
    assert tuple(bottleneck.shape[1:3]) == (4, 6)


def test_skip_connections_join_maps_of_equal_size():
    model = build_unet((16, 16, 2), 5, base_filters=4, depth=2)
    for level, size in ((1, 16), (2, 8)):
        joined = model.get_layer(f"dec{level}_skip").output
        assert tuple(joined.shape[1:3]) == (size, size)
        # half the channels come from the decoder, half from the encoder skip
        assert joined.shape[-1] == 2 * 4 * 2 ** (level - 1)


def test_logits_head_when_no_final_activation():
    model = build_unet((16, 16, 1), 2, base_filters=4, depth=1, final_activation=None)
    assert model.get_layer("head").activation.__name__ == "linear"


@pytest.mark.parametrize("kwargs, word", [
    (dict(input_shape=(30, 32, 1)), "divisible"),
    (dict(input_shape=(32, 32)), "input_shape"),
    (dict(output_channels=0), "output_channels"),
    (dict(depth=0), "depth"),
    (dict(downsample="avg"), "downsample"),
    (dict(upsample="nearest"), "upsample"),
    (dict(final_activation="relu6"), "final_activation"),
    (dict(dropout=1.0), "dropout"),
    (dict(activation="gelu"), "activation"),
])
def test_bad_arguments_are_named(kwargs, word):
    arguments = dict(input_shape=(32, 32, 1), output_channels=11)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=word):
        build_unet(**arguments)
