"""Optimizers and schedules written the ways learners write them, right and wrong, as source text.

Written for ``test_check_protocols_learner_optim.py`` from the styles' descriptions (no public
code copied): CS231n's update rules ``rule(w, dw, config)``, the "from Scratch" book's
``update(params, grads)``, deeplearning.ai's ``update_parameters_with_*`` beside their
initialisers, Holberton-style step functions naming the lr ``alpha``, nnfs's
``update_params(layer)`` and a blog's ``step_decay(epoch, initAlpha, factor, dropEvery)``.
Each test writes one into a file and checks it as a learner would.
"""

CS231N = '''
import numpy as np


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    c = config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    return w - config["learning_rate"] * dw / (np.sqrt(c) + config["epsilon"]), config


def rmsprop_eps_inside(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    c = config.get("cache", 0.0)
    c = config["cache"] = config["decay_rate"] * c + (1 - config["decay_rate"]) * dw * dw
    return w - config["learning_rate"] * dw / np.sqrt(c + config["epsilon"]), config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                       ("epsilon", 1e-8), ("m", np.zeros_like(w)), ("v", np.zeros_like(w)),
                       ("t", 0)):
        config.setdefault(key, value)
    config["t"] += 1
    b1, b2 = config["beta1"], config["beta2"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1 ** config["t"])
    v_hat = config["v"] / (1 - b2 ** config["t"])
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def adam_uncorrected(w, dw, config=None):
    config = config or {}
    config.setdefault("learning_rate", 1e-3)
    b1, b2 = config.setdefault("beta1", 0.9), config.setdefault("beta2", 0.999)
    m = config["m"] = b1 * config.get("m", 0.0) + (1 - b1) * dw
    v = config["v"] = b2 * config.get("v", 0.0) + (1 - b2) * dw * dw
    return w - config["learning_rate"] * m / (np.sqrt(v) + config.get("epsilon", 1e-8)), config


def adam_own_eps(w, dw, config=None):
    """Overwrites the epsilon it is given: the checker must compare it with what it used."""
    config = {} if config is None else config
    config["epsilon"] = 1e-4
    return adam(w, dw, config)
'''

BOOK = '''
import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = lr, decay_rate, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-8)


class Adam:
    """The textbook form, rebinding params[key] rather than changing it in place."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, {}, {}

    def update(self, params, grads):
        self.iter += 1
        for key in params:
            self.m[key] = self.beta1 * self.m.get(key, 0) + (1 - self.beta1) * grads[key]
            self.v[key] = self.beta2 * self.v.get(key, 0) + (1 - self.beta2) * grads[key] ** 2
            m_hat = self.m[key] / (1 - self.beta1**self.iter)
            v_hat = self.v[key] / (1 - self.beta2**self.iter)
            params[key] = params[key] - self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


class AdamEfficient(Adam):
    """The "efficient version": the bias correction folded into the lr, eps added to sqrt(v)."""

    def update(self, params, grads):
        if not self.m:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-8)
'''

DLAI = """
import numpy as np


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
    return v


def initialize_adam(parameters):
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_gd(parameters, grads, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * grads["d" + p + str(l)]
    return parameters


def update_parameters(parameters, grads, learning_rate=1.2):
    # the two-layer course's form: each array by name, a new dict returned
    W1, b1, W2, b2 = (parameters[k] for k in ("W1", "b1", "W2", "b2"))
    dW1, db1, dW2, db2 = (grads[k] for k in ("dW1", "db1", "dW2", "db2"))
    return {"W1": W1 - learning_rate * dW1, "b1": b1 - learning_rate * db1,
            "W2": W2 - learning_rate * dW2, "b2": b2 - learning_rate * db2}


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta * v[k] + (1 - beta) * grads[k]
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v[k]
    return parameters, v


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8, squared=False):
    v_corrected, s_corrected = {}, {}
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
            s[k] = beta2 * s[k] + (1 - beta2) * np.square(grads[k])
            v_corrected[k] = v[k] / (1 - beta1**t)
            s_corrected[k] = s[k] / (1 - beta2 ** (2 if squared else t))
            step = v_corrected[k] / (np.sqrt(s_corrected[k]) + epsilon)
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * step
    return parameters, v, s, v_corrected, s_corrected
"""

HOLBERTON = """
import numpy as np


def update_variables_momentum(alpha, beta1, var, grad, v):
    v = beta1 * v + (1 - beta1) * grad
    return var - alpha * v, v


def update_variables_RMSProp(alpha, beta2, epsilon, var, grad, s):
    s = beta2 * s + (1 - beta2) * grad**2
    return var - alpha * grad / (np.sqrt(s) + epsilon), s


def update_variables_Adam(alpha, beta1, beta2, epsilon, var, grad, v, s, t):
    v = beta1 * v + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    v_hat, s_hat = v / (1 - beta1**t), s / (1 - beta2**t)
    return var - alpha * v_hat / (np.sqrt(s_hat) + epsilon), v, s


def adam_beta2_squared(alpha, beta1, beta2, epsilon, var, grad, v, s, t):
    v = beta1 * v + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    v_hat, s_hat = v / (1 - beta1**t), s / (1 - beta2**2)
    return var - alpha * v_hat / (np.sqrt(s_hat) + epsilon), v, s


def gd(eta, dx, x):
    return x - eta * dx


def rmsprop_lr_and_alpha(x, dx, cache, learning_rate, alpha, eps):
    cache = alpha * cache + (1 - alpha) * dx * dx
    return x - learning_rate * dx / (np.sqrt(cache) + eps), cache
"""

SCHEDULES = '''
import numpy as np


def step_decay(epoch, initAlpha=0.01, factor=0.25, dropEvery=10):
    """The blog's form: floor((1 + epoch) / dropEvery)."""
    return float(initAlpha * factor ** np.floor((1 + epoch) / dropEvery))


def step_decay_right(epoch, initAlpha=0.01, factor=0.25, dropEvery=10):
    return float(initAlpha * factor ** np.floor(epoch / dropEvery))


class StepDecay:
    def __init__(self, initAlpha=0.01, factor=0.25, dropEvery=10):
        self.initAlpha, self.factor, self.dropEvery = initAlpha, factor, dropEvery

    def __call__(self, epoch):
        return float(self.initAlpha * self.factor ** np.floor(epoch / self.dropEvery))
'''

NNFS = """
import numpy as np


class Optimizer_SGD:
    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        self.learning_rate = self.current_learning_rate = learning_rate
        self.decay, self.iterations, self.momentum = decay, 0, momentum

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1.0 + self.decay * self.iterations)

    def update_params(self, layer):
        if self.momentum:
            if not hasattr(layer, "weight_momentums"):
                layer.weight_momentums = np.zeros_like(layer.weights)
                layer.bias_momentums = np.zeros_like(layer.biases)
            layer.weight_momentums = (self.momentum * layer.weight_momentums
                                      - self.current_learning_rate * layer.dweights)
            layer.bias_momentums = (self.momentum * layer.bias_momentums
                                    - self.current_learning_rate * layer.dbiases)
            layer.weights += layer.weight_momentums
            layer.biases += layer.bias_momentums
        else:
            layer.weights += -self.current_learning_rate * layer.dweights
            layer.biases += -self.current_learning_rate * layer.dbiases

    def post_update_params(self):
        self.iterations += 1


class Optimizer_Adam:
    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        self.learning_rate = self.current_learning_rate = learning_rate
        self.decay, self.iterations, self.epsilon = decay, 0, epsilon
        self.beta_1, self.beta_2 = beta_1, beta_2

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1.0 + self.decay * self.iterations)

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            for name in ("weight_momentums", "weight_cache"):
                setattr(layer, name, np.zeros_like(layer.weights))
            for name in ("bias_momentums", "bias_cache"):
                setattr(layer, name, np.zeros_like(layer.biases))
        t = self.iterations + 1
        for p, m, c, d in (("weights", "weight_momentums", "weight_cache", "dweights"),
                           ("biases", "bias_momentums", "bias_cache", "dbiases")):
            grad = getattr(layer, d)
            setattr(layer, m, self.beta_1 * getattr(layer, m) + (1 - self.beta_1) * grad)
            setattr(layer, c, self.beta_2 * getattr(layer, c) + (1 - self.beta_2) * grad**2)
            m_hat = getattr(layer, m) / (1 - self.beta_1**t)
            c_hat = getattr(layer, c) / (1 - self.beta_2**t)
            step = self.current_learning_rate * m_hat / (np.sqrt(c_hat) + self.epsilon)
            setattr(layer, p, getattr(layer, p) - step)

    def post_update_params(self):
        self.iterations += 1


class Optimizer_AdamNoCount(Optimizer_Adam):
    \"\"\"Forgets post_update_params: the bias correction stays at t = 1.\"\"\"

    def post_update_params(self):
        pass
"""
