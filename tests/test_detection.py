"""Chapter 08b's detection code: IoU, NMS, AP and mAP against hand-worked cases; the detector's
targets, decoding and shapes."""
from course_lib import detection

import numpy as np
import pytest


@pytest.mark.once
@pytest.mark.parametrize("a, b, expected", [
    ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
    ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),
    ([0, 0, 10, 10], [5, 5, 15, 15], 25 / 175),
    ([0, 0, 10, 10], [2, 2, 6, 6], 16 / 100),
    ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),
    ([0, 0, 10, 10], [30, 30, 40, 40], 0.0),
    ([0, 0, 4, 2], [2, 0, 6, 2], 4 / 12),
])
def test_iou_by_hand(a, b, expected):
    assert detection.iou(a, b) == pytest.approx(expected)
    assert detection.iou(b, a) == pytest.approx(expected)


@pytest.mark.once
def test_iou_matrix_shape_and_degenerate_boxes():
    a = np.array([[0, 0, 2, 2], [1, 1, 3, 3]])
    b = np.array([[0, 0, 2, 2], [5, 5, 6, 6], [1, 1, 1, 1]])
    m = detection.iou_matrix(a, b)
    assert m.shape == (2, 3)
    assert m[0, 0] == 1 and m[1, 0] == pytest.approx(1 / 7) and m[0, 2] == 0  # an empty box overlaps nothing
    assert detection.iou_matrix(np.zeros((0, 4)), b).shape == (0, 3)
    assert np.array_equal(detection.box_area([[0, 0, 2, 3], [4, 4, 2, 2]]), [6, 0])


@pytest.mark.once
def test_iou_rejects_bad_shapes():
    with pytest.raises(ValueError, match="boxes_a"):
        detection.iou_matrix([[0, 0, 1]], [[0, 0, 1, 1]])
    with pytest.raises(TypeError, match="boxes_b"):
        detection.iou_matrix([[0, 0, 1, 1]], "box")


@pytest.mark.once
def test_nms_keeps_the_best_of_each_group():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [21, 20, 31, 30], [0, 0, 9, 10]]
    scores = [0.9, 0.95, 0.5, 0.7, 0.3]
    assert list(detection.non_max_suppression(boxes, scores, 0.5)) == [1, 3]
    assert list(detection.non_max_suppression(boxes, scores, 0.95)) == [1, 0, 3, 2, 4]
    assert list(detection.non_max_suppression(boxes, scores, 0.5, max_outputs=1)) == [1]
    assert len(detection.non_max_suppression(np.zeros((0, 4)), [])) == 0
    with pytest.raises(ValueError, match="scores"):
        detection.non_max_suppression(boxes, [0.1], 0.5)


@pytest.mark.once
def test_matching_counts_a_duplicate_as_false_positive():
    true = [[0, 0, 10, 10]]
    hits = detection.match_detections([[0, 0, 10, 10], [1, 0, 11, 10], [30, 30, 40, 40]],
                                      [0.8, 0.9, 0.7], true)
    # the best-scoring detection takes the true box; the other overlapping one is a duplicate
    assert list(hits) == [False, True, False]
    assert list(detection.match_detections([[0, 0, 10, 10]], [0.5], np.zeros((0, 4)))) == [False]


@pytest.mark.once
@pytest.mark.parametrize("hits, scores, num_true, expected", [
    ([True, True, False], [0.9, 0.8, 0.1], 2, 1.0),
    ([False, True, True], [0.9, 0.8, 0.7], 2, 2 / 3),
    ([True, False, True], [0.9, 0.8, 0.7], 4, 0.25 + 0.25 * 2 / 3),
    ([True, True], [0.3, 0.9], 3, 2 / 3),
    ([], [], 3, 0.0),
])
def test_average_precision_by_hand(hits, scores, num_true, expected):
    assert detection.average_precision(hits, scores, num_true) == pytest.approx(expected)


@pytest.mark.once
def test_average_precision_without_true_objects_is_nan():
    assert np.isnan(detection.average_precision([False], [0.5], 0))


@pytest.mark.once
def test_map_perfect_missing_and_wrong_class():
    truths = [(np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([1, 2])),
              (np.array([[5, 5, 15, 15]]), np.array([1]))]
    perfect = [(b.astype(float), np.ones(len(c)), c) for b, c in truths]
    value, per_class = detection.mean_average_precision(perfect, truths, num_classes=3)
    assert value == 1.0 and np.isnan(per_class[0]) and per_class[1] == per_class[2] == 1.0
    # miss the second image's object of class 1: recall for class 1 stops at 1/2
    missing = [perfect[0], (np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))]
    value, per_class = detection.mean_average_precision(missing, truths, num_classes=3)
    assert per_class[1] == pytest.approx(0.5) and per_class[2] == 1.0 and value == pytest.approx(0.75)
    # the right box with the wrong class counts for nothing
    wrong = [(perfect[0][0], np.full(2, 0.5), np.array([2, 1])), perfect[1]]
    _, per_class = detection.mean_average_precision(wrong, truths, num_classes=3)
    assert per_class[2] == 0.0 and per_class[1] == pytest.approx(0.5)
    # a box shifted below IoU 0.5 is a false positive
    shifted = [(np.array([[6, 0, 16, 10], [20, 20, 30, 30]], float), np.array([0.5, 1.0]), np.array([1, 2])),
               perfect[1]]
    _, per_class = detection.mean_average_precision(shifted, truths, num_classes=3)
    assert per_class[1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="one entry per image"):
        detection.mean_average_precision(perfect[:1], truths)


def _perfect_output(targets, num_classes=10):
    out = np.full(targets.shape[:3] + (5 + num_classes,), -20.0)
    out[..., 0] = np.where(targets[..., 0] > 0, 20.0, -20.0)
    xy = np.clip(targets[..., 1:3], 1e-6, 1 - 1e-6)
    out[..., 1:3] = np.log(xy / (1 - xy))
    out[..., 3:5] = targets[..., 3:5]
    n, r, c = np.nonzero(targets[..., 0])
    out[n, r, c, 5 + targets[n, r, c, 5].astype(int)] = 20.0
    return out


@pytest.mark.once
def test_targets_decode_back_to_the_boxes():
    boxes = [np.array([[3, 4, 17, 30], [40, 10, 52, 24]], np.float32), np.array([[0, 0, 64, 64]], np.float32)]
    classes = [np.array([3, 8]), np.array([1])]
    targets = detection.encode_grid_targets(boxes, classes, 64, 8)
    assert targets.shape == (2, 8, 8, 6) and targets[..., 0].sum() == 3
    # the first box's centre (10, 17) lies in row 2, column 1 of 8-pixel cells
    assert tuple(targets[0, 2, 1]) == pytest.approx((1, 0.25, 0.125, np.log(14 / 8), np.log(26 / 8), 3))
    decoded = detection.decode_grid(_perfect_output(targets), 64)
    for (b, s, c), true_boxes, true_classes in zip(decoded, boxes, classes):
        order = np.argsort(b[:, 0])
        assert np.allclose(b[order], true_boxes[np.argsort(true_boxes[:, 0])], atol=1e-3)
        assert sorted(c) == sorted(true_classes) and np.all(s > 0.99)


@pytest.mark.once
def test_two_centres_in_one_cell_keep_the_first():
    targets = detection.encode_grid_targets([np.array([[0, 0, 4, 20], [4, 0, 8, 20]])],
                                            [np.array([1, 2])], 64, 8)
    assert targets[..., 0].sum() == 1 and targets[0, 1, 0, 5] == 1


@pytest.mark.once
def test_decoding_applies_threshold_and_nms():
    out = np.full((1, 2, 2, 7), -10.0)
    out[0, 0, 0, :5] = [3, 0, 0, np.log(2), np.log(2)]   # score ~0.95, class 0
    out[0, 0, 1, :5] = [2, -5, 0, np.log(4), np.log(2)]  # ~0.88, class 0, overlapping the first
    out[0, 1, 1, :5] = [-3, 0, 0, 0, 0]                   # ~0.05: below the threshold
    out[0, :, :, 5] = 10
    (boxes, scores, classes), = detection.decode_grid(out, canvas_size=20, score_threshold=0.3,
                                                      iou_threshold=0.3)
    assert len(boxes) == 1 and classes[0] == 0 and scores[0] == pytest.approx(1 / (1 + np.exp(-3)), rel=1e-3)
    assert np.allclose(boxes[0], [-5, -5, 15, 15])  # centre (5, 5) of cell (0, 0), size 2 x 10-pixel cells
    (boxes, _, _), = detection.decode_grid(out, canvas_size=20, score_threshold=0.3, iou_threshold=0.9)
    assert len(boxes) == 2
    with pytest.raises(ValueError, match="outputs"):
        detection.decode_grid(np.zeros((1, 2, 2, 3)), 20)


def test_detector_shapes_and_loss():
    model = detection.build_grid_detector((32, 32, 1), num_classes=10, filters=(8, 8, 8), head_filters=8)
    out = np.asarray(model(np.zeros((2, 32, 32, 1), np.float32)))
    assert out.shape == (2, 4, 4, 15)
    assert detection.build_grid_detector((64, 64, 1)).output.shape[1:] == (8, 8, 15)
    targets = detection.encode_grid_targets([np.array([[2, 2, 14, 20]])] * 2, [np.array([4])] * 2, 32, 4)
    loss = detection.grid_detection_loss()
    perfect = float(np.mean(loss(targets, _perfect_output(targets).astype("float32"))))
    blank = float(np.mean(loss(targets, np.zeros((2, 4, 4, 15), "float32"))))
    assert perfect < 1e-3 < blank
    with pytest.raises(ValueError, match="divisible"):
        detection.build_grid_detector((30, 30, 1))
    with pytest.raises(ValueError, match="filters"):
        detection.build_grid_detector(filters=())


@pytest.mark.once
def test_drawing_returns_a_figure():
    import matplotlib
    matplotlib.use("Agg")
    figure = detection.show_detections(np.zeros((2, 16, 16)),
                                       [(np.array([[1, 1, 5, 5]]), np.array([0.9]), np.array([3]))] * 2,
                                       [(np.array([[1, 1, 6, 6]]), np.array([3]))] * 2)
    assert len(figure.axes) == 2 and len(figure.axes[0].patches) == 2
    with pytest.raises(ValueError, match="detections"):
        detection.show_detections(np.zeros((2, 16, 16)), [])


ONE_BOX = ([np.array([[8, 8, 24, 30]])], [np.array([3])])
encode = detection.encode_grid_targets


@pytest.mark.once
@pytest.mark.parametrize("call, error, message", [
    (lambda: encode(*ONE_BOX, 64, 0), ValueError, "grid_size should be a positive int, got 0"),
    (lambda: encode(*ONE_BOX, 64, 2.5), TypeError, "grid_size should be a positive int, got 2.5"),
    (lambda: encode(*ONE_BOX, 0, 8), ValueError, "canvas_size should be a positive int, got 0"),
    (lambda: encode([np.array([[8, 8, 24, 30], [60, 10, 70, 20]])], [np.array([3, 4])], 64, 8),
     ValueError, r"boxes\[0\]\[1\] should lie inside the 64x64 canvas.*got \[60.0, 10.0, 70.0, 20.0\]"),
    (lambda: encode([np.array([[-2, 8, 10, 30]])], [np.array([3])], 64, 8),
     ValueError, r"boxes\[0\]\[0\] should lie inside the 64x64 canvas, 0 <= x_min"),
    (lambda: encode([np.array([[20, 8, 10, 30]])], [np.array([3])], 64, 8),
     ValueError, r"x_min < x_max .*got \[20.0, 8.0, 10.0, 30.0\]"),
    (lambda: encode(ONE_BOX[0], [np.array([3, 4])], 64, 8),
     ValueError, r"classes\[0\] should have one class per box of boxes\[0\] \(1\), got 2"),
    (lambda: detection.decode_grid(np.zeros((1, 2, 2, 7)), canvas_size=0),
     ValueError, "canvas_size should be a positive int, got 0"),
    (lambda: detection.decode_grid(np.zeros((1, 2, 2, 7)), 20, score_threshold=1.5),
     ValueError, r"score_threshold should be a number in \[0.0, 1.0\], got 1.5"),
    (lambda: detection.decode_grid(np.zeros((1, 2, 2, 7)), 20, max_detections=0),
     ValueError, "max_detections should be a positive int, got 0"),
    (lambda: detection.non_max_suppression([[0, 0, 4, 4]], [0.9], iou_threshold="a"),
     TypeError, r"iou_threshold should be a number in \[0.0, 1.0\], got 'a'"),
    (lambda: detection.non_max_suppression([[0, 0, 4, 4]], [0.9], iou_threshold=1.5),
     ValueError, r"iou_threshold should be a number in \[0.0, 1.0\], got 1.5"),
    (lambda: detection.non_max_suppression([[0, 0, 4, 4]], [0.9], max_outputs=-1),
     ValueError, "max_outputs should be a positive int, got -1"),
    (lambda: detection.non_max_suppression([[0, 0, 4, 4]], [0.9], max_outputs=1.0),
     TypeError, "max_outputs should be a positive int, got 1.0"),
])
def test_bad_arguments_name_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.once
def test_boxes_on_the_canvas_edge_and_numpy_sizes_are_accepted():
    edge = [np.array([[0, 0, 64, 64], [56, 0, 64, 8]])]
    targets = detection.encode_grid_targets(edge, [np.array([1, 2])], np.int64(64), np.int32(8))
    assert np.array_equal(targets, detection.encode_grid_targets(edge, [np.array([1, 2])], 64, 8))
    assert targets[..., 0].sum() == 2 and targets[0, 0, 7, 5] == 2
    assert len(detection.non_max_suppression([[0, 0, 4, 4], [0, 0, 4, 5]], [0.9, 0.8], np.float32(0.5),
                                             max_outputs=np.int64(1))) == 1
