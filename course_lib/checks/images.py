"""Checkers for chapter 01 (images as data): grayscale conversion, channels first, cutting an image into
tiles, the contrast experiment and the questionnaire."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_close,
    multiple_choice,
)

import numpy as np

GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma weights


@checker("rgb_to_gray: a weighted sum of red, green and blue")
def check_rgb_to_gray(rgb_to_gray):
    """``rgb_to_gray(image)``: (H, W, 3) → (H, W) with weights 0.299, 0.587, 0.114."""
    rng = np.random.default_rng(1)
    image = rng.random((4, 6, 3))
    got = as_array(call(rgb_to_gray, image.copy()), "rgb_to_gray(image)")
    if got.shape == (4, 6, 1):
        raise Hint("drop the channel axis: the result should be (H, W), not (H, W, 1)")
    if got.shape != (4, 6):
        raise Hint(f"for an image of shape {image.shape} the result should be (4, 6), got {got.shape}")
    if np.allclose(got, image.mean(axis=-1)):
        raise Hint("that is the plain mean; the eye is most sensitive to green, so use the weights "
                   "0.299 (red), 0.587 (green), 0.114 (blue)")
    expect_close(got, image @ np.array(GRAY_WEIGHTS), "rgb_to_gray(image)",
                 hint="Multiply each channel by its weight and add: image @ [0.299, 0.587, 0.114].")


def _channels_first(images):
    return np.moveaxis(np.asarray(images), -1, -3)


@checker("to_channels_first: (…, H, W, C) to (…, C, H, W)")
def check_to_channels_first(to_channels_first):
    """``to_channels_first(images)``: a channels-last image (H, W, C) or batch (N, H, W, C) to channels
    first, every value staying with its pixel and its channel; the dtype unchanged."""
    rng = np.random.default_rng(2)
    batch = rng.integers(0, 256, size=(2, 4, 5, 3), dtype=np.uint8)   # N, H, W, C all different
    answer = call(to_channels_first, batch.copy())
    got = as_array(answer, "to_channels_first(batch)")
    expected = _channels_first(batch)
    if got.shape == expected.shape and not np.array_equal(got, expected):
        if np.array_equal(got, batch.reshape(expected.shape)):
            raise Hint("the shape is right but the pixels are scrambled: reshape keeps the numbers in their "
                       "order in memory and only cuts that row of numbers into new pieces. The channel axis "
                       "has to move, carrying its numbers with it")
        raise Hint("the shape is right but the values are not where they belong: the result at "
                   "[n, c, i, j] should be the input at [n, i, j, c]")
    if got.shape == batch.T.shape:
        raise Hint(f"for a batch of shape {batch.shape} you returned {got.shape}: all axes were reversed "
                   "(.T, or transpose() without axes). The batch axis stays first and height stays before "
                   "width; only the channel axis moves")
    if got.shape == (2, 3, 5, 4):
        raise Hint(f"for a batch of shape {batch.shape} you returned {got.shape}: height and width are "
                   "swapped. Only the channel axis moves; height stays before width")
    if got.shape != expected.shape:
        raise Hint(f"for a batch of shape (N, H, W, C) = {batch.shape} the result should have shape "
                   f"(N, C, H, W) = {expected.shape}, got {got.shape}")
    if not np.array_equal(got, expected):
        raise Hint("the result at [n, c, i, j] should be the input at [n, i, j, c]")
    if getattr(answer, "dtype", None) != batch.dtype:
        raise Hint(f"the values are right but the dtype became {getattr(answer, 'dtype', type(answer))}: "
                   "moving an axis should not change the numbers' type (uint8 stays uint8)")
    image = batch[0]
    try:
        single = call(to_channels_first, image.copy())
    except NotImplementedError:
        raise
    except Exception as error:
        raise Hint(f"it works on a batch (N, H, W, C), but a single image (H, W, C) = {image.shape} made it "
                   f"raise {type(error).__name__}: the function should work for both, 3 axes or 4") from None
    single = as_array(single, "to_channels_first(image)")
    if single.shape != (3, 4, 5) or not np.array_equal(single, _channels_first(image)):
        raise Hint(f"it works on a batch (N, H, W, C), but a single image of shape (H, W, C) = {image.shape} "
                   f"gave shape {single.shape}, expected (C, H, W) = (3, 4, 5): a single image has no batch "
                   "axis in front, so its axes sit one place further left")
    return "every number kept its pixel and its channel, for a batch and for a single image."


def _tiles(image, size):
    height, width, channels = image.shape
    return np.swapaxes(image.reshape(height // size, size, width // size, size, channels), 1, 2)


@checker("to_tiles: an image cut into size × size tiles")
def check_to_tiles(to_tiles):
    """``to_tiles(image, size)``: an (H, W, C) image → (H // size, W // size, size, size, C), with
    ``tiles[r, c]`` = ``image[r*size:(r+1)*size, c*size:(c+1)*size]``; the dtype unchanged."""
    rng = np.random.default_rng(3)
    for shape, size in (((6, 8, 3), 2), ((9, 6, 2), 3), ((4, 4, 1), 4), ((3, 5, 3), 1)):
        image = rng.integers(0, 256, size=shape, dtype=np.uint8)
        answer = call(to_tiles, image.copy(), size)
        got = as_array(answer, f"to_tiles(image, {size})")
        expected = _tiles(image, size)
        rows, columns, channels = shape[0] // size, shape[1] // size, shape[2]
        where = f"for an image of shape {shape} and size {size}"
        if got.shape != expected.shape:
            if got.shape == (rows, size, columns, size, channels):
                raise Hint(f"{where} you returned shape {got.shape}: the rows and columns are split the "
                           "right way, but the axes are in the order (tile row, row inside the tile, tile "
                           "column, column inside the tile, channel). The two tile indices should come first")
            if got.shape == (columns, rows, size, size, channels) and rows != columns:
                raise Hint(f"{where} you returned shape {got.shape}: tile columns before tile rows. "
                           "tiles[r, c] should be the tile in tile row r and tile column c")
            raise Hint(f"{where} the result should have shape (H // size, W // size, size, size, C) = "
                       f"{expected.shape}, got {got.shape}")
        if not np.array_equal(got, expected):
            if size > 1 and np.array_equal(got, image.reshape(expected.shape)):
                raise Hint(f"{where} the shape is right, but each tile holds a strip of one image row, not "
                           "a size × size square: a reshape keeps the numbers in memory order, where the "
                           "pixels of a row follow one another. Which axes have to move, carrying their "
                           "numbers?")
            if np.array_equal(got, np.swapaxes(expected, 2, 3)):
                raise Hint(f"{where} every tile is transposed (its rows and columns swapped): "
                           "tiles[r, c, i, j] should be image[r * size + i, c * size + j]")
            raise Hint(f"{where} the values are not where they belong: tiles[r, c, i, j, ch] should be "
                       "image[r * size + i, c * size + j, ch]")
        if getattr(answer, "dtype", None) != image.dtype:
            raise Hint(f"the tiles are right but the dtype became {getattr(answer, 'dtype', type(answer))}: "
                       "cutting an image should not change its numbers' type (uint8 stays uint8)")
    return "every pixel landed in its tile, for square and oblong grids and any tile size."


CONTRAST_CHOICES = {
    "accuracy": ("within 2 points", "2 to 30 points lower", "over 30 points lower"),
    "confidence": ("higher", "about the same", "lower"),
}
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"accuracy": "2 to 30 points lower", "confidence": "lower"}


@checker("your prediction, before the run")
def check_contrast_prediction(contrast_prediction):
    """The learner's ``contrast_prediction()`` → {"accuracy": ..., "confidence": ...}, each one of
    ``CONTRAST_CHOICES``. Any honest prediction passes; the run says whether it came true."""
    return expect_choices(call(contrast_prediction), CONTRAST_CHOICES)


QUESTIONNAIRE = {1: "b", 2: "c", 3: "a", 4: "b", 5: "c", 6: "a", 7: "b", 8: "c"}
REASONS = {
    1: "height first, then width, then the channels last",
    2: "// is integer division: 0..254 become 0 and only 255 becomes 1",
    3: "float32 takes 4 bytes per value, uint8 one, for the same 47 million values",
    4: "14.2 million images at 224 × 224 × 3 as float32 are more than 8 TB; a stream holds a batch at a time",
    5: "a channel is bright where its colour is strong, and the blue background has little red",
    6: "w·x + b with x halved is w·x/2 + b: the biases act as thresholds that the fainter strokes no longer "
       "pass, and smaller scores give a flatter softmax",
    7: "reshape regroups the numbers in their memory order (R, G, B, R, G, B, …); moving the channel axis "
       "carries each number along",
    8: "a CNN analyses (image → label), a GAN's generator creates (noise → image)",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
