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
  own share of the state by variable, whatever order ``fit`` lists them in; ``StateValues.descend``
  is one gradient step of one network (``jax.value_and_grad``, then ``optimizer.stateless_apply``).

Imported by ``two_networks`` (the base of ``gan.GAN`` and ``translation.Pix2Pix``) only when Keras runs
on JAX; JAX itself is imported inside the functions that need it. ``tests/test_cross_backend_steps.py``
checks that a step written this way equals the TensorFlow step the chapters teach.
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

    def build(self, variables):   # both optimizers are built by the model's compile
        self.built = True

    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass


class StateValues:
    """The value of every variable of a model during one JAX training step, looked up by variable.

    ``fit`` hands the step four lists of values (trainable, non-trainable, optimizer, metrics variables);
    this keeps one value per variable, so each network and each optimizer reads and writes its own share,
    whatever order ``fit`` lists them in. ``descend`` takes one gradient step of one network; ``call`` runs
    a network inside it; ``state`` gives ``fit`` the four lists back.
    """

    def __init__(self, model: keras.Model, state):
        trainable, non_trainable, optimizer_values, metrics_values = state
        self.model = model
        self._values = {}
        self._put(model.trainable_variables, trainable)
        self._put(model.non_trainable_variables, non_trainable)
        self._put(model.optimizer.variables, optimizer_values)
        self.metrics_values = list(metrics_values)
        self._descent = None   # during ``descend``: the network trained, its values, the state calls moved on

    def _put(self, variables, values):
        for variable, value in zip(variables, values):
            self._values[id(variable)] = value

    def get(self, variables) -> list:
        return [self._values[id(variable)] for variable in variables]

    def set(self, variables, values) -> None:
        self._put(variables, values)

    def call(self, network: keras.Model, inputs, training: bool = True):
        """Run ``network`` on ``inputs`` with the current values; return its outputs.

        Inside ``descend``, the network being trained runs on the values the gradient is taken with
        respect to, and each call starts from the non-trainable values the previous call left (a network
        called twice in one loss moves its dropout's random state and its batch-norm statistics on between
        the calls, as it does on TensorFlow); they are kept when ``descend`` ends.
        """
        descent = self._descent
        if descent is not None and descent["network"] is network:
            trainable = descent["trainable"]
        else:
            trainable = self.get(network.trainable_variables)
        variables = network.non_trainable_variables
        moved = descent["moved"] if descent is not None else {}
        non_trainable = [moved.get(id(variable), self._values[id(variable)]) for variable in variables]
        outputs, non_trainable = network.stateless_call(trainable, non_trainable, inputs, training=training)
        if descent is not None:
            moved.update({id(variable): value for variable, value in zip(variables, non_trainable)})
        else:
            self.set(variables, non_trainable)
        return outputs

    def descend(self, network: keras.Model, optimizer: keras.optimizers.Optimizer, loss_fn):
        """One step of ``optimizer`` on ``network``'s trainable values, down the gradient of ``loss_fn``.

        ``loss_fn()`` runs the networks through ``call`` and returns ``(loss, extras)``; the gradient is
        taken of the loss with respect to ``network``'s trainable values only (``jax.value_and_grad``), so
        the other network is not changed by this step. The new weights, the optimizer's new state and the
        non-trainable values the calls moved on are kept; returns ``(loss, extras)``.
        """
        import jax

        variables = network.trainable_variables

        def pure(trainable):
            self._descent = {"network": network, "trainable": trainable, "moved": {}}
            try:
                loss, extras = loss_fn()
                moved = self._descent["moved"]
            finally:
                self._descent = None
            return loss, (extras, moved)

        (loss, (extras, moved)), grads = jax.value_and_grad(pure, has_aux=True)(self.get(variables))
        trainable, optimizer_values = optimizer.stateless_apply(self.get(optimizer.variables), grads,
                                                                self.get(variables))
        self.set(variables, trainable)
        self.set(optimizer.variables, optimizer_values)
        self._values.update(moved)
        return loss, extras

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
                self.get(self.model.optimizer.variables), self.metrics_values)
