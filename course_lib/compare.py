"""Is the network a chapter wrote out the same as course_lib's copy? (README.md, "How the course is built".)

``architecture_differences`` compares two networks layer by layer: the type, and the configuration that
``get_config()`` reports without the layer names (which Keras numbers as models are built). Chapters 07, 08b,
08d and 08e assert with it; chapter 05 writes the same comparison out where it first teaches it.
``assert_same_network`` adds the outputs with the same weights, because the wiring between layers is not in
the configurations.
"""
from __future__ import annotations

import keras
import numpy as np


def _without_names(config):
    """``config`` with every layer's ``"name"`` left out, at any depth (a dtype policy keeps its name)."""
    if isinstance(config, dict):
        if "DTypePolicy" in str(config.get("class_name", "")):
            return config   # its "name" is the dtype ("float32")
        return {key: _without_names(value) for key, value in config.items() if key != "name"}
    if isinstance(config, (list, tuple)):
        return [_without_names(value) for value in config]
    return config


def architecture_differences(ours: keras.Model, theirs: keras.Model) -> list[str]:
    """How two networks differ, layer by layer: the type, and the configuration without the names.

    Returns one sentence per difference; an empty list means the same layers, in the same order, each
    built with the same settings (sizes, strides, activations, initialisers, dtype, ...). Layer names,
    which Keras numbers as models are built, are left out. The wiring between layers is not in the
    configurations: compare the outputs too, after ``ours.set_weights(theirs.get_weights())``.
    """
    for name, model in (("ours", ours), ("theirs", theirs)):
        if not isinstance(model, keras.Model):
            raise TypeError(f"{name} should be a keras.Model, got {type(model).__name__}")
    differences = []
    if len(ours.layers) != len(theirs.layers):
        differences.append(f"{len(ours.layers)} layers against {len(theirs.layers)}")
    for index, (a, b) in enumerate(zip(ours.layers, theirs.layers)):
        if type(a) is not type(b):
            differences.append(f"layer {index}: {type(a).__name__} against {type(b).__name__}")
            continue
        mine, library = _without_names(a.get_config()), _without_names(b.get_config())
        if mine != library:
            keys = sorted(key for key in set(mine) | set(library) if mine.get(key) != library.get(key))
            shown = ", ".join(f"{key}={mine.get(key)!r} against {library.get(key)!r}" for key in keys)
            differences.append(f"layer {index} ({type(a).__name__}): {shown}")
    return differences


def assert_same_network(ours: keras.Model, library: keras.Model, inputs, tolerance: float = 1e-6) -> float:
    """Assert the same layers and settings (names aside), then the same outputs once ``library`` has
    ``ours``'s weights; returns the largest output difference. ``library``'s weights are overwritten."""
    differences = architecture_differences(ours, library)
    assert not differences, "the networks differ: " + "; ".join(differences)
    library.set_weights(ours.get_weights())
    as_numpy = keras.ops.convert_to_numpy
    gap = float(np.abs(as_numpy(ours(inputs)) - as_numpy(library(inputs))).max())
    assert gap <= tolerance, f"same layers and settings, but the outputs differ by {gap:.2e} > {tolerance:g}"
    return gap
