"""Checkers for chapter 08a (classification beyond digits: Fashion-MNIST)."""
from __future__ import annotations

from course_lib.checks.core import (
    Hint,
    as_array,
    call,
    checker,
    expect_choices,
    expect_close,
    expect_equal_number,
    multiple_choice,
)

import numpy as np

# A confusion matrix in which the typical mistakes land in different cells: the largest off-diagonal
# count (12) is at row 2, column 0; read transposed (rows as predictions) it comes out as (0, 2), which
# holds only 2; the largest count above the diagonal (9) is at (0, 1).
CONFUSION = np.array([[50, 9, 2], [1, 60, 0], [12, 3, 40]])


@checker("most confused pair")
def check_most_confused(most_confused):
    """The learner's ``most_confused(confusion)``: the (true, predicted) pair with the largest
    off-diagonal count of a confusion matrix."""
    confusion = CONFUSION.copy()
    answer = call(most_confused, confusion)
    if answer is None:
        raise Hint("your function returned None: did you forget a `return`?")
    try:
        pair = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        raise Hint(f"return a pair (true_class, predicted_class), got {answer!r}") from None
    if len(pair) != 2:
        raise Hint(f"return a pair (true_class, predicted_class), got {len(pair)} values {pair}")
    if pair[0] == pair[1]:
        raise Hint("the diagonal holds the correct predictions: leave it out "
                   "(for example set it to -1 on a copy)")
    if pair == (0, 2):
        raise Hint("rows are true classes and columns predictions: return (row, column)")
    if pair == (0, 1):
        raise Hint("that is the largest entry of the upper triangle only; look at every off-diagonal entry")
    if pair != (2, 0):
        raise Hint(f"got {pair}; the largest off-diagonal entry (12) is at row 2, column 0")
    if tuple(int(v) for v in call(most_confused, CONFUSION.T.copy())) != (0, 2):
        raise Hint("your answer does not follow the matrix: is something hard-coded?")
    if not np.array_equal(confusion, CONFUSION):
        raise Hint("your function changed the matrix it was given: work on a copy")


@checker("top-k accuracy")
def check_top_k_accuracy(top_k_accuracy):
    """The learner's ``top_k_accuracy(probabilities, y_true, k)``."""
    probabilities = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3], [0.6, 0.1, 0.3]])
    y_true = np.array([1, 2, 0, 2])
    for k, expected in ((1, 0.25), (2, 1.0), (3, 1.0)):
        answer = call(top_k_accuracy, probabilities, y_true, k)
        expect_equal_number(answer, expected, f"top_k_accuracy(..., k={k})", tolerance=1e-6,
                            hint="a prediction counts as right when the true class is among the k "
                                 "largest probabilities (np.argsort(-probabilities, axis=1)[:, :k])")
    rng = np.random.default_rng(0)
    probabilities = rng.random((50, 10))
    y_true = rng.integers(0, 10, 50)
    top = np.argsort(-probabilities, axis=1)[:, :3]
    expected = float(np.mean([y in row for y, row in zip(y_true, top)]))
    expect_equal_number(call(top_k_accuracy, probabilities, y_true, 3), expected,
                        "top_k_accuracy on random probabilities, k=3", tolerance=1e-6)


# Rows are true classes (100, 50 and 20 test images), columns predictions. The class sizes differ, so that
# weighting the rows' counts and weighting their rates by the shares give different answers.
SHARES_CONFUSION = np.array([[80, 15, 5], [10, 35, 5], [2, 8, 10]])


def _precision_at_shares(confusion, shares):
    rates = confusion / confusion.sum(axis=1, keepdims=True)
    arriving = np.asarray(shares, dtype=float)[:, None] * rates
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diag(arriving) / arriving.sum(axis=0)


@checker("precision at other class shares")
def check_precision_at_shares(precision_at_shares):
    """The learner's ``precision_at_shares(confusion, shares)``: for each class c, the share of the "c"
    predictions that are right when the true classes arrive in the proportions ``shares`` and the model treats
    each class as its row of the confusion matrix says; NaN for a class that is never predicted."""
    confusion, shares = SHARES_CONFUSION, np.array([0.1, 0.3, 0.6])
    name = "precision_at_shares(confusion, [0.1, 0.3, 0.6])"
    answer = as_array(call(precision_at_shares, confusion.copy(), shares.copy()), name)
    if answer.shape != (3,):
        raise Hint(f"{name} should give one precision per class, an array of shape (3,); got shape "
                   f"{answer.shape}")
    rates = confusion / confusion.sum(axis=1, keepdims=True)
    counts = shares[:, None] * confusion
    mistakes = [
        (confusion.diagonal() / confusion.sum(axis=0),
         "that is the precision at the test set's own class sizes; the shares change how many images of each "
         "true class arrive, and so how many of a column's predictions are right"),
        (rates.diagonal(),
         "that is each class's recall, which the shares do not change: precision asks, among the images "
         "predicted c, how many are truly c"),
        (counts.diagonal() / counts.sum(axis=0),
         "a row's counts still carry the test set's class size: turn each row into rates first (what the "
         "model does with one image of that class), then weight the rows by the shares"),
        (rates.diagonal() / rates.sum(axis=0),
         "that is the precision when every class is equally common; weight each row by its class's share"),
    ]
    for wrong, hint in mistakes:
        if np.allclose(answer, wrong):
            raise Hint(hint)
    expect_close(answer, _precision_at_shares(confusion, shares), name,
                 hint="precision of c = right 'c' predictions / all 'c' predictions, both counted among "
                      "images that arrive in the proportions `shares`")
    own = confusion.sum(axis=1) / confusion.sum()
    usual = confusion.diagonal() / confusion.sum(axis=0)
    expect_close(call(precision_at_shares, confusion.copy(), own), usual,
                 "precision_at_shares at the test set's own class shares",
                 hint="at the test set's own shares the answer is the usual precision, diagonal / column sum")
    never = np.array([[5, 0, 5], [3, 0, 7], [0, 0, 10]])   # class 1 is never predicted
    answer = as_array(call(precision_at_shares, never.copy(), np.array([0.2, 0.3, 0.5])),
                      "precision_at_shares with a class never predicted")
    if answer.shape != (3,) or not np.isnan(answer[1]):
        raise Hint("class 1 is never predicted, so its precision is 0/0: return np.nan for it")
    expect_close(answer[[0, 2]], _precision_at_shares(never, [0.2, 0.3, 0.5])[[0, 2]],
                 "precision_at_shares with a class never predicted")
    return ("right: the rows say what the model does with each class; how common the classes are decides "
            "what stands behind each predicted label.")


SCALING_CHOICES = ("lower", "about the same", "higher")
# the teacher's key for the prediction, kept here so that it is not on screen before the run
PREDICTION = {"unscaled": "about the same"}


@checker("your prediction, before the unscaled run")
def check_scaling_prediction(scaling_prediction):
    """The learner's ``scaling_prediction()`` → {"unscaled": one of SCALING_CHOICES}. Any honest
    prediction passes; the experiment after it says whether it came true."""
    return expect_choices(call(scaling_prediction), {"unscaled": SCALING_CHOICES})


QUESTIONNAIRE = {1: "b", 2: "a", 3: "b", 4: "c", 5: "b", 6: "a", 7: "c"}
REASONS = {
    1: "the torso-with-sleeves classes share their outline; a collar or a sleeve length is a few pixels",
    2: "the class means need no training: what they get right, the raw pixels already tell",
    3: "each class's accuracy counts as often as the class has test images",
    4: "a number used to choose or to watch is no longer an unbiased estimate: the test set is kept for one "
       "final measurement",
    5: "almost every shoe was photographed pointing left, and the model learned that direction",
    6: "when the true class is usually the second guess, the mistakes are between close classes such as "
       "shirt and T-shirt",
    7: "scaling the input by 255 scales the first convolution's output by 255; max-pooling keeps the factor "
       "and batch normalisation divides it out, so the network computes almost the same thing",
}


@checker("questionnaire")
def check_questionnaire(questionnaire):
    """The learner's ``questionnaire()`` → {question number: letter}."""
    return multiple_choice(call(questionnaire), QUESTIONNAIRE, REASONS)
