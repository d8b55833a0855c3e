"""Exercise 4, architecture design: the rules checked on the model, then a short MNIST run.

``build_model()`` returns a ``torch.nn.Module`` mapping (N, 1, 28, 28) normalised images to
(N, 10) logits. The rules (the course's): at most 50,000 trainable parameters; at least one
``nn.Conv2d`` and one ``nn.BatchNorm2d`` among its modules; a residual connection.

The residual rule: ``torch.fx.symbolic_trace`` records the forward as a graph, and some
addition (``+``, ``+=``, ``torch.add``, ``Tensor.add``/``add_``) must add two tensors one of
which was computed from the other: ``x + f(x)``, where ``x`` is an ancestor of ``f(x)`` in the
graph. Adding a constant, a parameter, or two separate branches ``f(x) + g(x)`` does not count,
nor does concatenation (DenseNet's skip). A forward fx cannot trace (Python control flow on
tensor values) is reported as such.

The short run, when the rules hold and MNIST is found (``$MNIST_ROOT``, else ./data; nothing is
downloaded): one epoch over the first 10,000 training images, batches of 128 through
``mnist_challenge.data``'s chain (uint8 -> normalised float32), SGD with Nesterov momentum 0.9
and weight decay 5e-4 under a one-cycle schedule peaking at lr 0.1 (train.py's recipe at a
lower peak, which suited every design tried; 0.4 made one diverge), plain cross-entropy,
seed 0, torch on one thread; then the accuracy on the first 2,000 test images, in eval
mode, must reach 60 %. Measured with this recipe (4-6 s each on a busy 2-core machine):
``mnist_challenge.model.ChallengeNet`` 94.5 %, ``ChallengeNet((8, 16, 32))`` 94.8 %, a
5,226-parameter design with a linear head 89.1 %, and a 9,930-parameter one, the slowest
starter tried, 73.5 %; chance is 10 %, where a run that diverges or does not learn stays.
So 60 % catches a design that does not train while leaving slow starters room. A short run
cannot show the course's > 95 % (that takes full training: ``python -m mnist_challenge``).
"""

from __future__ import annotations

import math
import operator

import torch
import torch.nn.functional as F
from torch import nn

from mnist_challenge import data as mnist
from mnist_challenge.model import count_parameters
from parity_check.errors import UsageError, call_user
from parity_check.exercises.common import Outcome, one_thread

MAX_PARAMETERS = 50_000
TRAIN_IMAGES, TEST_IMAGES, BATCH = 10_000, 2_000, 128
MIN_ACCURACY = 0.60
ADDS = (operator.add, operator.iadd, torch.add)
ADD_METHODS = ("add", "add_", "__add__", "__iadd__")


def residual_adds(model: nn.Module) -> list[str]:
    """The graph nodes of ``model``'s forward that add a tensor to one computed from it."""
    try:
        graph = torch.fx.symbolic_trace(model).graph
    except Exception as err:  # noqa: BLE001 - fx's reasons vary; the user gets its message
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UsageError(
            f"torch.fx could not trace your model's forward ({type(err).__name__}: {first}); the "
            "residual check needs a forward without Python control flow on tensor values"
        ) from None
    ancestors: dict[torch.fx.Node, set[torch.fx.Node]] = {}
    found = []
    for node in graph.nodes:  # topological order: inputs before their users
        ancestors[node] = set().union(*({a} | ancestors[a] for a in node.all_input_nodes))
        is_add = (node.op == "call_function" and node.target in ADDS) or (
            node.op == "call_method" and node.target in ADD_METHODS
        )
        operands = [a for a in node.args[:2] if isinstance(a, torch.fx.Node)]
        if is_add and len(operands) == 2:
            a, b = operands
            if a in ancestors[b] or b in ancestors[a]:
                found.append(f"{node.name} = {a.name} + {b.name}")
    return found


def architecture_checks(model: nn.Module) -> tuple[list[str], list[str], dict]:
    """(what holds, what fails, figures) for the rules on a built model."""
    ok, bad = [], []
    n = count_parameters(model)
    (ok if n <= MAX_PARAMETERS else bad).append(f"{n:,} parameters (at most {MAX_PARAMETERS:,})")
    convs = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    norms = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    (ok if convs else bad).append(f"{convs} Conv2d")
    (ok if norms else bad).append(f"{norms} BatchNorm2d")
    adds = residual_adds(model)
    (ok if adds else bad).append(f"residual add: {adds[0]}" if adds else "no residual add (x + f(x)) in the forward")  # fmt: skip
    model.eval()
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = call_user("calling your model's forward on a (2, 1, 28, 28) batch", model, x)
    shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
    if shape != (2, 10):
        bad.append(f"forward maps (2, 1, 28, 28) to {shape}, expected (2, 10) logits")
    figures = dict(parameters=n, conv2d=convs, batchnorm2d=norms, residual_adds=adds)
    return ok, bad, figures


def find_mnist(data_dir=None) -> tuple[mnist.MNIST | None, str]:
    """The data set if its four files are present and verified, else (None, why not)."""
    folder = mnist.raw_dir(mnist.resolve_root(data_dir))
    missing = [name for name in mnist.SHA256 if not (folder / name).is_file()]
    if missing:
        return None, f"MNIST not found in {folder} (set MNIST_ROOT)"
    try:
        return mnist.MNIST(*mnist.read_split(folder, "train"), *mnist.read_split(folder, "t10k")), ""  # fmt: skip
    except ValueError as err:
        return None, f"MNIST files in {folder} unreadable: {err}"


def short_run(model: nn.Module, data: mnist.MNIST, train_images: int, test_images: int,
              batch_size: int = BATCH) -> float:  # fmt: skip
    """Train ``model`` one epoch on ``train_images`` images (the recipe above); test accuracy."""
    x, y = data.train_images[:train_images], data.train_labels[:train_images]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)  # fmt: skip
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps=math.ceil(len(y) / batch_size), pct_start=0.25)  # fmt: skip
    model.train()
    for images, labels in mnist.batches(x, y, batch_size, torch.Generator().manual_seed(0)):
        logits = call_user("training your model (forward)", model, images)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        call_user("training your model (backward)", loss.backward)
        optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        logits = call_user("evaluating your model", model, mnist.to_float(data.test_images[:test_images]))  # fmt: skip
    return float((logits.argmax(1) == data.test_labels[:test_images]).float().mean())


def check_build_model(obj, name: str = "build_model", *, train_images: int = TRAIN_IMAGES,
                      test_images: int = TEST_IMAGES, min_accuracy: float = MIN_ACCURACY,
                      batch_size: int = BATCH, data_dir=None) -> Outcome:  # fmt: skip
    """The rules on ``obj()``'s model, then the short MNIST run (skipped without MNIST)."""
    if not callable(obj):
        raise UsageError(f"{name} is a {type(obj).__name__}, not a function")
    torch.manual_seed(0)
    model = call_user(f"calling {name}()", obj)
    if not isinstance(model, nn.Module):
        raise UsageError(f"{name}() must return a torch.nn.Module, got {type(model).__name__}")
    ok, bad, figures = architecture_checks(model)
    if bad:
        return Outcome(False, "; ".join(bad), figures)
    dataset, why = find_mnist(data_dir) if train_images else (None, "not asked for")
    if dataset is None:
        figures["training"] = f"skipped: {why}"
        return Outcome(True, "; ".join(ok) + f"; training run skipped: {why}", figures)
    with one_thread():
        acc = short_run(model, dataset, train_images, test_images, batch_size)
    figures.update(accuracy=acc, train_images=train_images, test_images=test_images, min_accuracy=min_accuracy)  # fmt: skip
    run = f"{acc:.1%} on {test_images:,} test images after one epoch on {train_images:,} (needs {min_accuracy:.0%})"  # fmt: skip
    if acc < min_accuracy:
        return Outcome(False, f"the short training run reached {run}: the design does not train well (the rules hold: {', '.join(ok)})", figures)  # fmt: skip
    return Outcome(True, "; ".join(ok) + f"; short run: {run}", figures)
