"""Interactive explorers for JupyterLab: the kernel editor (chapter 02), pooling (chapter 03), a
generator's latent space (chapter 07) and an attack's strength (chapter 09b).

Each explorer is split in two: a pure function that computes what is shown (``filter_image``,
``pool_image``, ``explore_latent``), which tests and notebook cells call directly, and a small class
that wraps it in ipywidgets. The class's ``update(...)`` method takes the same values the controls
hold, recomputes, redraws when the widget is on screen, and returns what it computed, so a notebook
cell can drive it without a browser (widgets are never rendered under nbval).

Each explorer draws its picture into a PNG and puts it into its ``Output`` widget as the widget's
content (``Output.outputs``, part of the widget's state), rather than printing into it with
``with output: plt.show()``. Captured output depends on the front end having set up the widget
before the picture arrives; in JupyterLab a picture drawn while the widget is created was lost, and
the explorer showed only its controls until one was moved. Widget state has no such race: the
picture is there on creation, and ``explorer.picture`` (the PNG bytes) lets a test see what is shown.
"""
from __future__ import annotations

import base64
import io

from course_lib import _validate, gan, scratch

import keras
import numpy as np

# Classic 3×3 kernels, written as the article's convolution kernels K (conv2d flips them when it slides).
KERNEL_PRESETS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "edges (Laplacian)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "Sobel x (vertical edges)": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "Sobel y (horizontal edges)": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
MODES = ("convolution", "cross-correlation")
POOL_KINDS = ("max", "average")


def preset(name: str, size: int = 3) -> np.ndarray:
    """A kernel from ``KERNEL_PRESETS`` as an array, centred in a ``size``×``size`` grid of zeros."""
    if name not in KERNEL_PRESETS:
        raise ValueError(f"preset should be one of {sorted(KERNEL_PRESETS)}, got {name!r}")
    if not _validate.is_int(size):   # np.int64 from a slider or an array is welcome
        raise TypeError(f"size should be an odd int >= 3, got {_validate.shown(size)}")
    if size < 3 or size % 2 == 0:
        raise ValueError(f"size should be an odd int >= 3, got {size!r}")
    size = int(size)
    kernel = np.zeros((size, size))
    start = (size - 3) // 2
    kernel[start:start + 3, start:start + 3] = KERNEL_PRESETS[name]
    return kernel


def filter_image(image, kernel, mode: str = "convolution") -> np.ndarray:
    """Filter a grayscale (H, W) or colour (H, W, C) image with a 2-D kernel, keeping its size.

    ``mode="convolution"`` uses the article's formula (``scratch.conv2d``, kernel flipped);
    ``"cross-correlation"`` is what Keras's Conv2D does. Padding is "same", so the result lines up
    with the image pixel for pixel. This is what the kernel editor shows (chapter 02).
    """
    if mode not in MODES:
        raise ValueError(f"mode should be one of {MODES}, got {mode!r}")
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 2:
        raise ValueError(f"kernel should be a 2-D array (kh, kw), got shape {kernel.shape}")
    operation = scratch.conv2d if mode == "convolution" else scratch.correlate2d
    return operation(image, kernel, padding="same")


def pool_image(image, size=2, stride=None, kind: str = "max", padding: str = "valid") -> np.ndarray:
    """Max or average pooling of an image or feature map (chapter 03): what the pooling explorer shows."""
    if kind not in POOL_KINDS:
        raise ValueError(f"kind should be one of {POOL_KINDS}, got {kind!r}")
    operation = scratch.max_pool2d if kind == "max" else scratch.avg_pool2d
    return operation(image, size=size, stride=stride, padding=padding)


def explore_latent(generator: keras.Model, seed: int = 0, amounts=(), directions=None, label=None):
    """What the latent explorer shows (chapter 07): returns (z, image).

    z = base noise drawn from ``seed`` + Σ amounts[i] · directions[i]; image = G(z), shape (H, W).
    ``directions`` defaults to ``gan.latent_directions(latent_dim, len(amounts))``. A conditional
    generator (inputs ``[z, label]``) also needs ``label``, the digit to draw.
    """
    if not isinstance(generator, keras.Model):
        raise TypeError(f"generator should be a keras.Model, got {type(generator).__name__}")
    seed = _validate.positive_int(seed, "seed", minimum=0)
    latent_dim = int(generator.inputs[0].shape[-1])
    z = np.random.default_rng(seed).normal(size=latent_dim).astype("float32")
    amounts = np.asarray(amounts, dtype="float32").reshape(-1)
    if amounts.size:
        if directions is None:
            directions = gan.latent_directions(latent_dim, len(amounts))
        directions = np.asarray(directions, dtype="float32")
        if directions.shape != (len(amounts), latent_dim):
            raise ValueError(f"directions should have shape ({len(amounts)}, {latent_dim}) to match amounts, "
                             f"got {directions.shape}")
        z = z + amounts @ directions
    inputs = z[None]
    if len(generator.inputs) == 2:
        if label is None:
            raise ValueError("this generator is conditional: pass label (the digit to draw)")
        inputs = [inputs, np.array([_validate.positive_int(label, "label", minimum=0)], dtype="int32")]
    image = keras.ops.convert_to_numpy(generator(inputs, training=False))[0, ..., 0]
    return z, image


def on_grey_scale(image, scale) -> np.ndarray:
    """Map ``image`` onto [0, 1] with ``scale=(low, high)``: low → 0 (black), high → 1 (white), clipped.

    The kernel editor draws input and output this way, so equal values look equally bright in both.
    """
    low, high = (float(value) for value in scale)
    if not high > low:
        raise ValueError(f"scale should be (low, high) with high > low, got {scale!r}")
    return np.clip((np.asarray(image, dtype=float) - low) / (high - low), 0.0, 1.0)


def _show(axis, image, title, scale=None):
    """Draw a grayscale or colour image; ``scale=(low, high)`` fixes black and white (else per image)."""
    axis.clear()
    image = np.squeeze(image)
    if scale is None:
        axis.imshow(image, cmap="gray")
    else:
        axis.imshow(on_grey_scale(image, scale), cmap="gray", vmin=0, vmax=1)
    axis.set_title(title, fontsize=9)
    axis.axis("off")


def _new_figure(figsize):
    """A matplotlib figure outside pyplot: nothing is shown by the notebook unless we put it somewhere."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def _show_in(output, figure) -> bytes:
    """Render ``figure`` to PNG and make it the content of the ipywidgets ``Output``; returns the PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    png = buffer.getvalue()
    width, height = (figure.get_size_inches() * 100).round().astype(int)
    output.outputs = ({"output_type": "display_data",
                       "data": {"image/png": base64.b64encode(png).decode("ascii"),
                                "text/plain": f"<picture {width}×{height}>"},
                       "metadata": {}},)
    return png


class _Explorer:
    """What the explorers share: the widget is built on first use and shown as a cell's value."""

    _widget = None
    picture: bytes | None = None   # the PNG the widget shows (None until the widget is built)

    @property
    def widget(self):
        """The ipywidgets box (built on first use; building needs no browser)."""
        if self._widget is None:
            self._build()
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _build(self):
        raise NotImplementedError


class KernelEditor(_Explorer):
    """Edit a kernel cell by cell (or pick a preset) and see the filtered image at once (chapter 02).

    ``editor = KernelEditor(photo)`` then ``editor`` as the last line of a cell shows the controls;
    ``editor.update(kernel=..., preset=..., mode=...)`` changes them from code and returns the
    filtered image; ``editor.kernel`` and ``editor.filtered`` hold the current state.

    The filtered image is drawn on the input's grey scale (``editor.scale``: the input's darkest value
    is black, its brightest white), so that brightness changes show: a kernel that doubles every pixel
    looks brighter, not the same. Values beyond the scale are clipped, and the plot says how many.
    The preset list follows the kernel: it names the preset the kernel equals, or "(custom)".
    """

    def __init__(self, image, preset_name: str = "identity", size: int = 3, mode: str = "convolution"):
        self.image = np.asarray(image, dtype=float)
        if self.image.ndim not in (2, 3):
            raise ValueError(f"image should be (H, W) or (H, W, C), got shape {self.image.shape}")
        self.size = size
        self.kernel = preset(preset_name, size)
        self.mode = mode
        self.filtered = filter_image(self.image, self.kernel, mode)
        low, high = float(self.image.min()), float(self.image.max())
        self.scale = (low, high) if high > low else (0.0, 1.0)
        self._widget = None
        self._syncing = False

    def matching_preset(self) -> str | None:
        """The name of the preset the current kernel equals, or None for a kernel of one's own."""
        for name in KERNEL_PRESETS:
            if np.allclose(self.kernel, preset(name, self.size), rtol=0, atol=1e-9):
                return name
        return None

    def clipped_fraction(self) -> float:
        """The share of filtered values beyond the grey scale (drawn as pure black or pure white)."""
        low, high = self.scale
        return float(np.mean((self.filtered < low) | (self.filtered > high)))

    def update(self, kernel=None, preset_name: str | None = None, mode: str | None = None) -> np.ndarray:
        """Set any of kernel, preset and mode, recompute, redraw if shown; returns the filtered image."""
        if preset_name is not None:
            kernel = preset(preset_name, self.size)
        if kernel is not None:
            kernel = np.asarray(kernel, dtype=float)
            if kernel.shape != (self.size, self.size):
                raise ValueError(f"kernel should have shape ({self.size}, {self.size}), got {kernel.shape}")
            self.kernel = kernel
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode should be one of {MODES}, got {mode!r}")
            self.mode = mode
        self.filtered = filter_image(self.image, self.kernel, self.mode)
        if self._widget is not None:
            self._sync_controls()
            self._draw()
        return self.filtered

    # --- the ipywidgets wrapper -----------------------------------------------------------------

    def _build(self):
        import ipywidgets as w

        self._cells = [[w.FloatText(value=float(self.kernel[r, c]), step=0.1, layout=w.Layout(width="70px"))
                        for c in range(self.size)] for r in range(self.size)]
        for row in self._cells:
            for cell in row:
                cell.observe(self._on_cell, names="value")
        self._preset = w.Dropdown(options=["(custom)", *KERNEL_PRESETS],
                                  value=self.matching_preset() or "(custom)", description="preset")
        self._preset.observe(self._on_preset, names="value")
        self._mode = w.ToggleButtons(options=MODES, value=self.mode)
        self._mode.observe(lambda change: self.update(mode=change["new"]), names="value")
        self._output = w.Output()
        grid = w.VBox([w.HBox(row) for row in self._cells])
        self._widget = w.VBox([w.HBox([grid, w.VBox([self._preset, self._mode])]), self._output])
        self._draw()

    def _on_cell(self, change):
        if not self._syncing:
            self.update(kernel=[[cell.value for cell in row] for row in self._cells])

    def _on_preset(self, change):
        if not self._syncing and change["new"] != "(custom)":
            self.update(preset_name=change["new"])

    def _sync_controls(self):
        self._syncing = True
        try:
            for r, row in enumerate(self._cells):
                for c, cell in enumerate(row):
                    cell.value = float(self.kernel[r, c])
            self._mode.value = self.mode
            self._preset.value = self.matching_preset() or "(custom)"
        finally:
            self._syncing = False

    def _draw(self):
        figure = _new_figure((9, 4.5))
        axes = figure.subplots(1, 2)
        low, high = self.scale
        _show(axes[0], self.image, f"input {self.image.shape}", self.scale)
        clipped = self.clipped_fraction()
        _show(axes[1], self.filtered, f"{self.mode} with the kernel\n"
                                      f"values {self.filtered.min():.2f} to {self.filtered.max():.2f}; "
                                      f"{clipped:.0%} beyond the scale", self.scale)
        figure.suptitle(f"one grey scale for both: {low:.2f} or less is black, {high:.2f} or more white",
                        fontsize=9)
        figure.tight_layout()
        self.picture = _show_in(self._output, figure)


class PoolingExplorer(_Explorer):
    """Move pool size, stride, kind and padding and see the pooled map and its shape (chapter 03).

    ``explorer.update(size=3, stride=2, kind="average")`` recomputes from code and returns the
    pooled map; ``explorer.summary()`` gives the shapes and how many values survive.
    """

    def __init__(self, image, size: int = 2, stride: int | None = None, kind: str = "max",
                 padding: str = "valid"):
        self.image = np.asarray(image, dtype=float)
        self.size, self.stride, self.kind, self.padding = size, stride, kind, padding
        self.pooled = pool_image(self.image, size, stride, kind, padding)
        self._widget = None

    def update(self, size=None, stride=None, kind=None, padding=None) -> np.ndarray:
        """Change any setting (``stride=0`` means "the same as size"), recompute, redraw; returns the map."""
        size = self.size if size is None else size
        stride = self.stride if stride is None else (None if stride == 0 else stride)
        kind = self.kind if kind is None else kind
        padding = self.padding if padding is None else padding
        self.pooled = pool_image(self.image, size, stride, kind, padding)  # raises before changing state
        self.size, self.stride, self.kind, self.padding = size, stride, kind, padding
        if self._widget is not None:
            self._draw()
        return self.pooled

    def summary(self) -> dict:
        """Input and output shapes, and the fraction of values the pooled map keeps."""
        return {
            "input_shape": self.image.shape,
            "output_shape": self.pooled.shape,
            "kept_fraction": self.pooled.size / self.image.size,
        }

    def _build(self):
        import ipywidgets as w

        self._message = w.HTML()
        controls = {
            "size": w.IntSlider(value=int(self.size) if _validate.is_int(self.size) else 2, min=1, max=8,
                                description="size"),
            "stride": w.IntSlider(value=self.stride or 0, min=0, max=8, description="stride (0 = size)"),
            "kind": w.ToggleButtons(options=POOL_KINDS, value=self.kind),
            "padding": w.ToggleButtons(options=scratch.PADDINGS, value=self.padding),
        }
        for name, control in controls.items():
            control.observe(lambda change, name=name: self._on_change(name, change["new"]), names="value")
        self._output = w.Output()
        self._widget = w.VBox([w.HBox([controls["size"], controls["stride"]]),
                               w.HBox([controls["kind"], controls["padding"]]), self._message, self._output])
        self._draw()

    def _on_change(self, name, value):
        try:
            self.update(**{name: value})
            self._message.value = ""
        except ValueError as error:  # e.g. a window larger than the image with "valid"
            self._message.value = f"<span style='color:#b42318'>{error}</span>"

    def _draw(self):
        info = self.summary()
        figure = _new_figure((8, 4))
        axes = figure.subplots(1, 2)
        _show(axes[0], self.image, f"input {info['input_shape']}")
        _show(axes[1], self.pooled, f"{self.kind} pool → {info['output_shape']}, "
                                    f"{info['kept_fraction']:.0%} of the values")
        figure.tight_layout()
        self.picture = _show_in(self._output, figure)


class LatentExplorer(_Explorer):
    """Walk through a generator's noise space with a seed slider and ``count`` direction sliders (chapter 07).

    ``explorer = LatentExplorer(model.sampler)`` then ``explorer`` as the last line of a cell shows
    the controls; ``explorer.update(seed=3, amounts=[2, 0, 0, 0])`` moves them from code and returns
    the image. ``explorer.z`` and ``explorer.image`` hold the current state, ``explorer.directions``
    the ``count`` fixed orthonormal directions the sliders move along (``gan.latent_directions``).
    """

    def __init__(self, generator: keras.Model, count: int = 4, limit: float = 3.0, seed: int = 0, label=None):
        if not isinstance(generator, keras.Model):
            raise TypeError(f"generator should be a keras.Model, got {type(generator).__name__}")
        self.limit = _validate.number(limit, "limit (the sliders' range)", low=0, include_low=False)
        self.generator = generator
        self.count = _validate.positive_int(count, "count")
        self.directions = gan.latent_directions(int(generator.inputs[0].shape[-1]), self.count)
        self.seed, self.amounts, self.label = seed, np.zeros(self.count), label
        self.z, self.image = explore_latent(generator, seed, self.amounts, self.directions, label)
        self._widget = None
        self._syncing = False

    def update(self, seed: int | None = None, amounts=None, label=None) -> np.ndarray:
        """Set any of seed, amounts (one per direction) and label, recompute, redraw; returns the image."""
        seed = self.seed if seed is None else seed
        amounts = self.amounts if amounts is None else np.asarray(amounts, dtype=float).reshape(-1)
        if amounts.shape != (self.count,):
            raise ValueError(f"amounts should hold one number per direction ({self.count}), "
                             f"got {amounts.shape[0]}")
        label = self.label if label is None else label
        # computed before any state changes, so a bad value raises and leaves the explorer as it was
        self.z, self.image = explore_latent(self.generator, seed, amounts, self.directions, label)
        self.seed, self.amounts, self.label = seed, amounts, label
        if self._widget is not None:
            self._sync_controls()
            self._draw()
        return self.image

    # --- the ipywidgets wrapper -----------------------------------------------------------------

    def _build(self):
        import ipywidgets as w

        self._seed = w.IntSlider(value=self.seed, min=0, max=999, description="seed")
        self._seed.observe(self._on_change, names="value")
        self._sliders = [w.FloatSlider(value=float(amount), min=-self.limit, max=self.limit, step=0.1,
                                       description=f"dir {index + 1}")
                         for index, amount in enumerate(self.amounts)]
        for slider in self._sliders:
            slider.observe(self._on_change, names="value")
        controls = [self._seed, *self._sliders]
        self._label = None
        if len(self.generator.inputs) == 2:
            self._label = w.BoundedIntText(value=self.label or 0, min=0, max=999, description="label")
            self._label.observe(self._on_change, names="value")
            controls.append(self._label)
        self._output = w.Output()
        self._widget = w.HBox([w.VBox(controls), self._output])
        self._draw()

    def _on_change(self, change):
        if not self._syncing:
            self.update(seed=self._seed.value, amounts=[slider.value for slider in self._sliders],
                        label=None if self._label is None else self._label.value)

    def _sync_controls(self):
        self._syncing = True
        try:
            self._seed.value = self.seed
            for slider, amount in zip(self._sliders, self.amounts):
                slider.value = float(amount)
            if self._label is not None and self.label is not None:
                self._label.value = int(self.label)
        finally:
            self._syncing = False

    def _draw(self):
        figure = _new_figure((2.5, 2.5))
        axis = figure.subplots()
        axis.imshow(self.image, cmap="gray", vmin=0, vmax=1)
        axis.set_title(f"seed {self.seed}", fontsize=9)
        axis.axis("off")
        self.picture = _show_in(self._output, figure)


class AttackExplorer(_Explorer):
    """An ε slider over FGSM-attacked digits: the images and the model's answers as ε grows (chapter 09b).

    ``explorer = AttackExplorer(model, images, labels)`` then ``explorer`` as the last line of a cell
    shows the slider; ``explorer.update(epsilon=0.1)`` attacks from code and returns the attacked images.
    ``explorer.predictions`` holds the model's answers for them, ``explorer.confidences`` its
    probability for each answer.
    """

    def __init__(self, model: keras.Model, images, labels, epsilon: float = 0.0, limit: float = 0.3):
        from course_lib import adversarial

        if not isinstance(model, keras.Model):
            raise TypeError(f"model should be a keras.Model, got {type(model).__name__}")
        self.limit = _validate.number(limit, "limit (the slider's range)", low=0, include_low=False)
        self._attack = adversarial.fgsm
        self.model = model
        self.images = np.asarray(images, dtype=np.float32)
        self.labels = np.asarray(labels)
        self._widget = None
        self.update(epsilon)

    def update(self, epsilon: float) -> np.ndarray:
        """Attack with this ε, recompute the answers, redraw; returns the attacked images."""
        attacked = self._attack(self.model, self.images, self.labels, epsilon)   # checks ε and the images
        probabilities = keras.ops.convert_to_numpy(self.model(attacked, training=False))
        self.epsilon, self.attacked = float(epsilon), attacked
        self.predictions = probabilities.argmax(axis=1)
        self.confidences = probabilities.max(axis=1)
        if self._widget is not None:
            self._draw()
        return attacked

    def _build(self):
        import ipywidgets as w

        self._slider = w.FloatSlider(value=self.epsilon, min=0.0, max=self.limit, step=0.01,
                                     description="ε", continuous_update=False)
        self._slider.observe(lambda change: self.update(change["new"]), names="value")
        self._output = w.Output()
        self._widget = w.VBox([self._slider, self._output])
        self._draw()

    def _draw(self):
        count = len(self.attacked)
        figure = _new_figure((1.3 * count, 1.7))
        axes = figure.subplots(1, count)
        for axis, image, label, guess, confidence in zip(np.atleast_1d(axes), self.attacked, self.labels,
                                                         self.predictions, self.confidences):
            axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
            axis.set_title(f"{guess} ({confidence:.0%})", fontsize=9,
                           color="tab:green" if guess == label else "tab:red")
            axis.axis("off")
        figure.suptitle(f"ε = {self.epsilon:.2f}: the model's answer (its confidence)", fontsize=9)
        self.picture = _show_in(self._output, figure)
