"""The JAX form of the course's two-network training steps (GAN, chapters 07/08d; pix2pix, 08e).

On TensorFlow a training step records operations on a ``GradientTape`` and updates variables in
place. JAX has no tape and no in-place updates: ``fit`` hands ``train_step(state, data)`` the values of
every variable as arrays, the step computes gradients of *pure functions* of those values
(``jax.value_and_grad``) and returns the new values, which ``fit`` writes back. Two consequences
shape this module:

* ``fit`` only hands over the variables of ``model.optimizer``. A GAN has two optimizers; kept as
  plain attributes they would never receive their state, and every step would be Adam's first step.
  ``PairedOptimizers`` is the one optimizer ``fit`` sees: its ``variables`` are both optimizers'
  variables, so both states travel through every step and come back.
* a network is run with ``stateless_call(trainable, non_trainable, inputs)``, which returns the
  outputs and the new non-trainable values (batch-norm statistics, dropout's random state).
  ``StateValues`` keeps one value per variable during a step, so each network reads and writes its
  own share of the state by variable, whatever order ``fit`` lists them in.

Imported by ``gan`` and ``translation`` only when Keras runs on JAX; JAX itself is imported inside
the functions that need it.
"""
from __future__ import annotations

import keras


class PairedOptimizers(keras.optimizers.Optimizer):
    """One optimizer for ``fit`` to carry, made of two: its ``variables`` are ``first``'s then ``second``'s.

    It never applies gradients itself (the training step calls ``first`` and ``second``) and saves
    nothing of its own: each optimizer saves its own variables, so checkpoints are the same on every
    backend.
    """

    def __init__(self, first: keras.optimizers.Optimizer, second: keras.optimizers.Optimizer):
        super().__init__(learning_rate=0.0, name="paired_optimizers")
        self.first, self.second = first, second
        self.built = True

    @property
    def variables(self):
        return list(self.first.variables) + list(self.second.variables)

    def split(self, values) -> tuple[list, list]:
        """``values`` (one per variable, in ``variables`` order) as (first's, second's)."""
        count = len(self.first.variables)
        return list(values[:count]), list(values[count:])

    def build(self, variables):   # both optimizers are built by the model's compile
        self.built = True

    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass


class StateValues:
    """The value of every variable of a model during one JAX training step, looked up by variable."""

    def __init__(self, model: keras.Model, state):
        trainable, non_trainable, optimizer_values, metrics_values = state
        self.model = model
        self._values = {}
        self._put(model.trainable_variables, trainable)
        self._put(model.non_trainable_variables, non_trainable)
        self.optimizer_values = list(optimizer_values)
        self.metrics_values = list(metrics_values)

    def _put(self, variables, values):
        for variable, value in zip(variables, values):
            self._values[id(variable)] = value

    def get(self, variables) -> list:
        return [self._values[id(variable)] for variable in variables]

    def set(self, variables, values) -> None:
        self._put(variables, values)

    def call(self, network: keras.Model, inputs, trainable=None, non_trainable=None, training: bool = True):
        """Run ``network`` on ``inputs``; return its outputs and its new non-trainable values.

        ``trainable``: values for the network's trainable variables instead of the stored ones (the
        arrays a gradient is taken with respect to). ``non_trainable``: the non-trainable values a
        previous call returned, when one step calls a network twice: its dropout's random state and its
        batch-norm statistics must move on between the calls, as they do on TensorFlow.
        """
        if trainable is None:
            trainable = self.get(network.trainable_variables)
        if non_trainable is None:
            non_trainable = self.get(network.non_trainable_variables)
        return network.stateless_call(trainable, non_trainable, inputs, training=training)

    def scoped(self, variables):
        """A ``keras.StatelessScope`` in which ``variables`` read these values (and record new ones)."""
        return keras.StatelessScope(state_mapping=[(variable, self._values[id(variable)])
                                                   for variable in variables])

    def collect(self, scope, variables) -> None:
        """Keep the values ``scope`` holds for ``variables`` after code in it assigned to them."""
        for variable in variables:
            value = scope.get_current_value(variable)
            if value is not None:
                self._values[id(variable)] = value

    def update_metrics(self, record):
        """Run ``record()`` (which updates the model's metrics) statelessly; returns its logs."""
        variables = self.model.metrics_variables
        with keras.StatelessScope(state_mapping=list(zip(variables, self.metrics_values))) as scope:
            logs = record()
        updated = [scope.get_current_value(variable) for variable in variables]
        self.metrics_values = [old if new is None else new for new, old in zip(updated, self.metrics_values)]
        return logs

    def state(self) -> tuple:
        """The four lists ``fit`` expects back, in its order."""
        return (self.get(self.model.trainable_variables), self.get(self.model.non_trainable_variables),
                self.optimizer_values, self.metrics_values)
