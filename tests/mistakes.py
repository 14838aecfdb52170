"""Typical wrong answers to the exercises, shared by test_reference_solutions.py and test_checks.py.

Each is a learner's plausible slip (named by the hint its checker must give); the tests check that the
checker rejects it and says what to look at.
"""

from course_lib import detection as detection_lib
from course_lib.checks import segmentation as segmentation_checks

import numpy as np

# --- chapters 01-03 ---------------------------------------------------------------------------------------


def tiles_by_reshape_only(image, size):
    """Chapter 01, Exercise 3 mistake: one reshape to the final shape (each "tile" is a strip of a row)."""
    height, width, channels = image.shape
    return image.reshape(height // size, width // size, size, size, channels)


def tiles_in_split_order(image, size):
    """Chapter 01, Exercise 3 mistake: rows and columns split, but the tile indices not moved to the front."""
    height, width, channels = image.shape
    return image.reshape(height // size, size, width // size, size, channels)


def same_padding_total(n, k, stride):
    return ((-(-n // stride)) - 1) * stride + k - n


def same_padding(n, k, stride):
    """Chapter 02, Exercise 2: the zeros "same" padding adds before and after (the odd one after)."""
    total = max(same_padding_total(n, k, stride), 0)
    return total // 2, total - total // 2


def same_padding_unclipped(n, k, stride):
    """Mistake: the total can come out negative when the stride skips the last pixels."""
    total = same_padding_total(n, k, stride)
    return total // 2, total - total // 2


def same_padding_odd_first(n, k, stride):
    """Mistake: the odd zero before instead of after."""
    before, after = same_padding(n, k, stride)
    return after, before


def pool_backward(x, size, grad_out, rule="max"):
    """Chapter 03, Exercise 3: the gradient of max pooling, or a typical mistake (``rule``)."""
    grad = np.zeros(np.shape(x))
    for i, j in np.ndindex(np.shape(grad_out)):
        rows, columns = slice(i * size, (i + 1) * size), slice(j * size, (j + 1) * size)
        window = x[rows, columns]
        m, n = np.unravel_index(np.argmax(window), window.shape)
        if rule == "average":
            grad[rows, columns] = grad_out[i, j] / size**2
        elif rule == "every":
            grad[rows, columns] = grad_out[i, j]
        elif rule == "ones":
            grad[i * size + m, j * size + n] = 1.0
        else:
            grad[i * size + m, j * size + n] = grad_out[i, j]
    return grad


# --- chapters 04-07 ---------------------------------------------------------------------------------------


def naive_jacobian(z):
    """The softmax Jacobian from the naive softmax: right for small scores, NaN for scores like 1000."""
    e = np.exp(z)
    p = e / e.sum()
    return np.diag(p) - np.outer(p, p)


# --- chapters 08a-08e -------------------------------------------------------------------------------------


def precision_ignoring_shares(confusion, shares):
    """The test set's own precision (diagonal / column sums): the shares left out."""
    return np.diag(confusion) / np.sum(confusion, axis=0)


def precision_from_weighted_counts(confusion, shares):
    """The shares applied to the rows' counts, not to their rates."""
    weighted = np.asarray(shares)[:, None] * np.asarray(confusion)
    return np.diag(weighted) / weighted.sum(axis=0)


def hits_without_taken(pred_boxes, pred_scores, true_boxes, iou_threshold=0.5):
    """Every detection that overlaps any true box enough is a hit: one object can be found twice."""
    return np.array(
        [any(detection_lib.iou(p, t) >= iou_threshold for t in true_boxes) for p in pred_boxes], dtype=bool
    )


def hits_in_given_order(pred_boxes, pred_scores, true_boxes, iou_threshold=0.5):
    """Greedy matching that forgets to visit the detections most confident first."""
    hit, taken = np.zeros(len(pred_boxes), bool), np.zeros(len(true_boxes), bool)
    for i in range(len(pred_boxes)):
        overlaps = [
            -1.0 if taken[j] else detection_lib.iou(pred_boxes[i], true_boxes[j])
            for j in range(len(true_boxes))
        ]
        if overlaps and max(overlaps) >= iou_threshold:
            taken[int(np.argmax(overlaps))] = hit[i] = True
    return hit


def flat_blocks(output, small):
    """Every block replaced by its wanted mean: the detail of the output thrown away."""
    rows, cols = np.shape(output)[0] // np.shape(small)[0], np.shape(output)[1] // np.shape(small)[1]
    return np.kron(small, np.ones((rows, cols)))


def scaled_blocks(output, small):
    """Each block multiplied to reach its mean: the means are right, but the change is not the smallest."""
    rows, cols = np.shape(output)[0] // np.shape(small)[0], np.shape(output)[1] // np.shape(small)[1]
    means = np.asarray(output).reshape(len(small), rows, np.shape(small)[1], cols).mean(axis=(1, 3))
    return np.asarray(output) * np.kron(np.asarray(small) / means, np.ones((rows, cols)))


def regions_eight_neighbours(mask, c):
    """A flood fill that also joins pixels touching at a corner."""
    return segmentation_checks._regions(mask, c, corners=True)


def table_gradient_indexed(labels, row_gradients, num_classes=10):
    """An indexed += : a repeated label keeps only one of its rows."""
    table = np.zeros((num_classes, np.shape(row_gradients)[1]))
    table[np.asarray(labels)] += row_gradients
    return table


def table_gradient_mean(labels, row_gradients, num_classes=10):
    """The rows of each label averaged instead of added."""
    table = np.zeros((num_classes, np.shape(row_gradients)[1]))
    np.add.at(table, np.asarray(labels), row_gradients)
    return table / np.maximum(np.bincount(labels, minlength=num_classes), 1)[:, None]


# --- chapter 10a ------------------------------------------------------------------------------------------


def _buffer_until_the_input_ends(items, size, rng):
    """A shuffle buffer up to the end of the input: (the records released, the ones still waiting)."""
    waiting, released = [], []
    for item in items:
        waiting.append(item)
        if len(waiting) == size:
            released.append(waiting.pop(int(rng.integers(size))))
    return released, waiting


def buffer_without_draining(items, size, rng):
    """A shuffle buffer that forgets the records still waiting when the input ends."""
    return _buffer_until_the_input_ends(items, size, rng)[0]


def buffer_draining_in_order(items, size, rng):
    """A shuffle buffer that empties itself in order when the input ends."""
    released, waiting = _buffer_until_the_input_ends(items, size, rng)
    return released + waiting


# --- chapter 09b --------------------------------------------------------------------------------------------


def occlusion_variant(score, image, patch, stride, fresh_copy=True, mean=True, last=True, sign=1.0):
    """09b's occlusion by hand, with a switch for each typical mistake."""
    height, width = image.shape
    base = score(image[None])[0]
    total, count = np.zeros((height, width)), np.zeros((height, width))
    hidden = image
    for top in range(0, height - patch + (1 if last else 0), stride):
        for left in range(0, width - patch + (1 if last else 0), stride):
            hidden = image.copy() if fresh_copy else hidden
            hidden[top : top + patch, left : left + patch] = 0
            total[top : top + patch, left : left + patch] += sign * (base - score(hidden[None])[0])
            count[top : top + patch, left : left + patch] += 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0) if mean else total


def runner_up_attack(weights, bias, image, label, epsilon, proportional=False):
    """09b's linear attack aimed at the highest other logit (the runner-up), or moving in proportion to the
    weight difference instead of by its sign."""
    logits = np.ravel(image) @ weights + bias
    logits[label] = -np.inf
    towards = weights[:, int(np.argmax(logits))] - weights[:, label]
    change = epsilon * towards / np.abs(towards).max() if proportional else epsilon * np.sign(towards)
    return change.reshape(np.shape(image))
