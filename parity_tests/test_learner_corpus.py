"""parity-check on the code learners write: the corpus of ``learner_corpus/`` as a table test.

Each row of ``learner_corpus/expected.py`` runs the command line in this process,
``parity-check COMPONENT TARGET --json - [--dtype float64] [--strict] [--derivative F]``, and
checks its exit status and its JSON verdict against the row: passed, in scope, the
not-covered rows, and for a FAIL the diagnosis (a catalogued mistake, or a relation with its
detail). The rows were written from issue 20's description of the styles and the verdicts,
not from the checker's output, so a row that fails says where the checker and the issue
part. The other tests keep the corpus honest: every file is used by a row and says which
style it imitates and whether it is right or wrong, every TARGET names something its file
defines, and every right implementation is run here against torch without the checker
(layers with padding and ties, BatchNorm over train and eval steps, the losses at logits
±1e4, optimizers over 30 steps, the schedules past T_max, the activations at the kink), so
that a right row that fails is the checker's failure, not the corpus's.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from parity_check.cli import main
from parity_tests.learner_corpus.expected import ROWS, Row

CORPUS = Path(__file__).parent / "learner_corpus"
NOT_LEARNER_FILES = {"__init__.py", "expected.py", "book_util.py"}  # the table, a shared helper
STYLES = ("CS231n", "Deep Learning from Scratch", "nnfs", "deeplearning.ai", "Holberton",
          "backward(", "Blog style", "Plain functions", "Course style", "scratch's protocol")  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A copy of the corpus outside the package, where a learner's files live: the checker
    takes frames under parity_tests/ for its own and leaves them out of its messages."""
    folder = tmp_path_factory.mktemp("learner_corpus")
    for path in CORPUS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    return folder


def argv(row: Row, folder: Path = CORPUS) -> list[str]:
    args = [row.component, f"{folder / row.target}", "--json", "-"]
    if len(row.dtypes) == 1:
        args += ["--dtype", row.dtypes[0]]
    if row.strict:
        args.append("--strict")
    if row.derivative:
        args += ["--derivative", f"{folder / row.derivative}"]
    return args


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_learner_implementation(row: Row, corpus: Path, capsys) -> None:
    status = main(argv(row, corpus))
    out = capsys.readouterr()
    verdict = json.loads(out.out)
    diagnosis = verdict.get("diagnosis") or {}
    said = verdict.get("error") or diagnosis.get("message") or out.err.strip().splitlines()[-1:]
    assert status == row.exit, f"exit status {status}, expected {row.exit}: {said}"
    if row.exit == 2:  # no verdict: one line that says what went wrong, and where
        assert row.says in verdict["error"], verdict["error"]
        return
    assert verdict["passed"] is (row.exit == 0)
    assert verdict["rows"], "a verdict shows its table"
    if row.in_scope is not None:
        assert verdict.get("in_scope") is row.in_scope, f"in_scope {verdict.get('in_scope')!r}, not_covered {verdict.get('not_covered')}"  # fmt: skip
        # in scope means some case was not supported, and each such case is listed
        assert bool(verdict.get("not_covered")) is row.in_scope, verdict.get("not_covered")
    if row.not_covered is not None:
        covered = verdict.get("not_covered") or []
        assert any(row.not_covered in text for text in covered), covered
    if row.error_row:
        statuses = [r.get("status") for r in verdict["rows"]]
        assert "error" in statuses, statuses
    if row.where is not None:
        wheres = [r.get("where") or "" for r in verdict["rows"] if r.get("status") in ("error", "not supported")]  # fmt: skip
        assert any(row.where in w for w in wheres), wheres
    if row.exit == 0:
        assert verdict["diagnosis"] is None, verdict["diagnosis"]
    if row.mistake is not None:
        assert diagnosis.get("mistake") == row.mistake, diagnosis
    if row.relation is not None:
        assert diagnosis.get("relation") == row.relation, diagnosis
        assert row.detail in (diagnosis.get("detail") or ""), diagnosis
    if row.says is not None:
        assert row.says in diagnosis.get("message", ""), diagnosis


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def test_the_corpus_has_enough_right_and_wrong_implementations() -> None:
    right = [r for r in ROWS if r.right and not r.strict]
    wrong = [r for r in ROWS if not r.right]
    assert len(right) >= 12 and len(wrong) >= 20, (len(right), len(wrong))
    assert len({r.id for r in ROWS}) == len(ROWS), "two rows share an id"
    # a wrong implementation gets a FAIL, exit 1; no verdict (2) only for an exception in the
    # basic case
    assert all(r.exit == 1 or r.id == "scope-exception-in-basic-case" for r in wrong)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_each_target_is_defined_in_its_file(row: Row) -> None:
    for target in filter(None, (row.target, row.derivative)):
        file, name = target.split(":")
        assert name in _defined(CORPUS / file), f"{file} defines no {name}"


def test_each_file_is_checked_and_says_its_style_and_verdict() -> None:
    files = {p.name for p in CORPUS.glob("*.py")} - NOT_LEARNER_FILES
    used = {r.target.split(":")[0]: r.right for r in ROWS}
    assert sorted(files - set(used)) == [], "files no row checks"
    for name in sorted(files):
        first = _docstring(CORPUS / name).split("\n\n")[0].lower()
        verdict = "right" if used[name] else "wrong"
        assert any(style.lower() in first for style in STYLES), f"{name}: which style? {first!r}"
        assert verdict in first, f"{name}'s docstring must say that it is {verdict}: {first!r}"


# -- the right files are right: each checked against torch here, without the checker ------------
def _load(name: str):
    """A corpus file as a module (its folder on sys.path, for the book's ``book_util``)."""
    if str(CORPUS) not in sys.path:
        sys.path.insert(0, str(CORPUS))
    spec = importlib.util.spec_from_file_location(f"_learner_corpus_{name}", CORPUS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _close(mine, theirs, what: str) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(np.asarray(mine), theirs, rtol=1e-10, atol=1e-12, err_msg=what)


def _torch_run(module, x, g):
    """torch's output, input gradient and parameter gradients (float64)."""
    xt = torch.tensor(x, requires_grad=True)
    out = module(xt)
    out.backward(torch.from_numpy(g))
    return out, xt.grad, {n: p.grad for n, p in module.named_parameters()}


def test_right_dense_layers_are_torchs() -> None:
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    lin = torch.nn.Linear(5, 3).double()
    out, dx, grads = _torch_run(lin, x, g)
    W, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    cs = _load("cs231n_layers")
    y, cache = cs.affine_forward(x, W.T.copy(), b.copy())
    dx_, dw, db = cs.affine_backward(g, cache)
    for mine, theirs, what in [(y, out, "affine"), (dx_, dx, "affine dx"), (dw.T, grads["weight"], "affine dw"), (db, grads["bias"], "affine db")]:  # fmt: skip
        _close(mine, theirs, what)
    book = _load("book_layers").Affine(W.T.copy(), b.copy())
    _close(book.forward(x), out, "Affine")
    _close(book.backward(g), dx, "Affine dx")
    _close(book.dW.T, grads["weight"], "Affine dW")
    dense = _load("nnfs_layers").Layer_Dense(5, 3)
    dense.weights, dense.biases = W.T.copy(), b[None].copy()
    dense.forward(x)
    dense.backward(g)
    _close(dense.output, out, "Layer_Dense")
    _close(dense.dinputs, dx, "Layer_Dense dinputs")
    _close(dense.dweights.T, grads["weight"], "dweights")
    _close(dense.dbiases[0], grads["bias"], "dbiases")
    lr = 2.0**-10  # the gradient is read back from the update, as the protocol does
    layers = _load("lr_backward_layers")
    batch = layers.LinearLayer(5, 3)
    batch.W, batch.b = W.copy(), b[:, None].copy()
    _close(batch.forward(x.T).T, out, "LinearLayer (features, batch)")
    _close(batch.backward(g.T.copy(), lr).T, dx, "LinearLayer dA_prev")
    _close((W - batch.W) / lr, grads["weight"], "LinearLayer dW from the update")
    column = layers.Dense(5, 3)
    for i in range(4):  # one sample at a time, each from the same weights
        column.weights, column.bias = W.copy(), b[:, None].copy()
        _close(column.forward(x[i][:, None])[:, 0], out[i], "Dense (column)")
        _close(column.backward(g[i][:, None].copy(), lr)[:, 0], dx[i], "Dense input gradient")


def test_right_conv_and_pools_are_torchs_with_padding_and_ties() -> None:
    rng = np.random.default_rng(1)
    cs, book = _load("cs231n_layers"), _load("book_layers")
    for stride, pad in [(1, 0), (2, 1)]:
        conv = torch.nn.Conv2d(3, 4, 3, stride=stride, padding=pad).double()
        x = rng.standard_normal((2, 3, 7, 6))
        g = rng.standard_normal(conv(torch.from_numpy(x)).shape)
        out, dx, grads = _torch_run(conv, x, g)
        W, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
        y, cache = cs.conv_forward_naive(x, W, b, {"stride": stride, "pad": pad})
        mine = (y, *cs.conv_backward_naive(g, cache))
        layer = book.Convolution(W.copy(), b.copy(), stride, pad)
        yb, dxb = layer.forward(x), layer.backward(g)
        for (o, d, dw, db), who in [(mine, "conv_naive"), ((yb, dxb, layer.dW, layer.db), "Convolution")]:  # fmt: skip
            _close(o, out, who)
            _close(d, dx, f"{who} dx")
            _close(dw, grads["weight"], f"{who} dW")
            _close(db, grads["bias"], f"{who} db")
        if pad == 0:
            plain = _load("conv_no_padding").Conv2d(3, 4, 3, stride=stride)
            plain.W, plain.b = W.copy(), b.copy()
            _close(plain.forward(x), out, "conv_no_padding")
            _close(plain.backward(g), dx, "conv_no_padding dx")
    for k, s, p in [(2, 2, 0), (3, 2, 1)]:
        pool = torch.nn.MaxPool2d(k, s, p)
        x = np.maximum(0, rng.standard_normal((2, 3, 9, 10)))  # after a ReLU: tied zeros
        g = rng.standard_normal(pool(torch.from_numpy(x)).shape)
        out, dx, _ = _torch_run(pool, x, g)
        layer = book.Pooling(k, k, s, p)
        _close(layer.forward(x), out, "Pooling")
        _close(layer.backward(g), dx, "Pooling dx, ties")
        if p == 0:
            y, cache = cs.max_pool_forward_naive(
                x, {"pool_height": k, "pool_width": k, "stride": s}
            )
            _close(y, out, "max_pool_naive")
            _close(cs.max_pool_backward_naive(g, cache), dx, "max_pool_naive dx, ties")


def test_right_batchnorms_are_torchs_over_train_and_eval_steps() -> None:
    rng = np.random.default_rng(2)
    cs, scratch = _load("cs231n_layers"), _load("scratch_2d_only")
    for shape, momentum in [((6, 3), 0.1), ((4, 3, 3, 3), 0.3)]:
        bn = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(3, momentum=momentum).double()  # fmt: skip
        torch.nn.init.normal_(bn.weight, 1.0, 0.5)
        torch.nn.init.normal_(bn.bias, 0.0, 0.5)
        gamma, beta = bn.weight.detach().numpy().copy(), bn.bias.detach().numpy().copy()
        bn_param = {"mode": "train", "momentum": momentum}
        mine = scratch.BatchNorm1d(3, momentum=momentum)
        mine.weight.data, mine.bias.data = gamma.copy(), beta.copy()
        forward = cs.batchnorm_forward if len(shape) == 2 else cs.spatial_batchnorm_forward
        backward = cs.batchnorm_backward if len(shape) == 2 else cs.spatial_batchnorm_backward
        for mode in ("train", "train", "train", "test"):
            bn.train(mode == "train")
            bn.zero_grad()
            x = 2 * rng.standard_normal(shape) + 3
            g = rng.standard_normal(shape)
            out, dx, grads = _torch_run(bn, x, g)
            bn_param["mode"] = mode
            y, cache = forward(x, gamma, beta, bn_param)
            dx_, dgamma, _ = backward(g, cache)
            _close(y, out, f"{forward.__name__}, {mode}")
            _close(dx_, dx, f"{backward.__name__} dx, {mode}")
            _close(dgamma, grads["weight"], f"dgamma, {mode}")
            _close(bn_param["running_var"], bn.running_var, f"running_var, {mode}")
            if len(shape) == 2:
                (mine.train() if mode == "train" else mine.eval()).weight.grad = None
                _close(mine.forward(x), out, f"BatchNorm1d (2-D only), {mode}")
                _close(mine.backward(g), dx, f"BatchNorm1d dx, {mode}")
                _close(mine.running_var, bn.running_var, f"BatchNorm1d running_var, {mode}")


def test_right_losses_are_torchs() -> None:
    rng = np.random.default_rng(3)
    cs, book = _load("cs231n_layers"), _load("book_layers")
    for x, y in [(2 * rng.standard_normal((7, 4)), rng.integers(0, 4, 7)),
                 (np.array([[-1e4, 5.0, 1e4], [1e4, -1e4, 3.0]]), np.array([0, 1]))]:  # fmt: skip
        xt = torch.tensor(x, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(xt, torch.from_numpy(y))
        loss.backward(torch.tensor(0.7, dtype=torch.float64))
        value, dx = cs.softmax_loss(x, y)
        _close(value, loss, "softmax_loss")
        _close(0.7 * dx, xt.grad, "softmax_loss dx")
        layer = book.SoftmaxWithLoss()
        _close(layer.forward(x, y), loss, "SoftmaxWithLoss")
        _close(layer.backward(0.7), xt.grad, "SoftmaxWithLoss dx")


def _cs231n(rule, config: dict):
    def step(w, g, state, t):
        w, state["config"] = rule(w, g, state.get("config", dict(config)))
        return w

    return step


def _book(optimizer):
    def step(w, g, state, t):
        params = {"W1": w}
        optimizer.update(params, {"W1": g})
        return params["W1"]

    return step


def _dlai(update, init, *args):
    adam = init.__name__ == "initialize_adam"  # (v, s) and the step t; else (v,)

    def step(w, g, state, t):
        params, grads = {"W1": w, "b1": np.zeros(1)}, {"dW1": g, "db1": np.zeros(1)}
        if "moments" not in state:
            state["moments"] = init(params) if adam else (init(params),)
        params, *moments = update(params, grads, *state["moments"], *((t,) if adam else ()), *args)
        state["moments"] = tuple(moments)
        return params["W1"]

    return step


def _holberton(fn, *hyper, slots=1, with_t=False):
    def step(w, g, state, t):
        state.setdefault("slots", [np.zeros_like(w)] * slots)
        w, *state["slots"] = fn(*hyper, w, g, *state["slots"], *((t,) if with_t else ()))
        return w

    return step


def _optimizers():
    cs, book = _load("cs231n_optim"), _load("book_optimizer")
    dlai_adam, dlai_momentum, hb = _load("dlai_adam"), _load("dlai_momentum"), _load("holberton_optim")  # fmt: skip
    sgd, rms, adam = torch.optim.SGD, torch.optim.RMSprop, torch.optim.Adam
    return [
        ("cs231n sgd", lambda p: sgd(p, lr=0.05), _cs231n(cs.sgd, {"learning_rate": 0.05})),
        ("cs231n sgd_momentum", lambda p: sgd(p, lr=0.01, momentum=0.9), _cs231n(cs.sgd_momentum, {"learning_rate": 0.01, "momentum": 0.9})),
        ("cs231n rmsprop", lambda p: rms(p, lr=0.01), _cs231n(cs.rmsprop, {"learning_rate": 0.01})),
        ("cs231n adam", lambda p: adam(p, lr=0.02), _cs231n(cs.adam, {"learning_rate": 0.02})),
        ("book Momentum", lambda p: sgd(p, lr=0.01, momentum=0.9), _book(book.Momentum(0.01, 0.9))),
        ("book Adam", lambda p: adam(p, lr=0.02), _book(book.Adam(0.02))),
        ("dlai adam", lambda p: adam(p, lr=0.02), _dlai(dlai_adam.update_parameters_with_adam, dlai_adam.initialize_adam, 0.02)),
        ("dlai momentum", lambda p: sgd(p, lr=0.01, momentum=0.9), _dlai(dlai_momentum.update_parameters_with_momentum, dlai_momentum.initialize_velocity, 0.9, 0.01)),
        ("holberton momentum", lambda p: sgd(p, lr=0.01, momentum=0.9), _holberton(hb.update_variables_momentum, 0.01, 0.9)),
        ("holberton RMSProp", lambda p: rms(p, lr=0.01), _holberton(hb.update_variables_RMSProp, 0.01, 0.99, 1e-8)),
        ("holberton Adam", lambda p: adam(p, lr=0.02), _holberton(hb.update_variables_Adam, 0.02, 0.9, 0.999, 1e-8, slots=2, with_t=True)),
    ]  # fmt: skip


def test_right_optimizers_follow_torchs_trajectory() -> None:
    w0 = np.random.default_rng(4).standard_normal(5)
    for name, make, step in _optimizers():
        wt = torch.tensor(w0.copy(), requires_grad=True)
        opt, w, state = make([wt]), w0.copy(), {}
        for t in range(1, 31):  # f(w) = Σ w⁴/4 + w², gradient w³ + 2w
            opt.zero_grad()
            ((wt**4).sum() / 4 + (wt**2).sum()).backward()
            opt.step()
            w = step(w, w**3 + 2 * w, state, t)
        _close(w, wt, name)


def test_right_schedules_and_functions_are_torchs() -> None:
    blog, plain = _load("blog_schedules"), _load("plain_activations")
    for name, make, mine in [
        ("step_decay", lambda o: torch.optim.lr_scheduler.StepLR(o, 4, 0.5), lambda e: blog.step_decay(e, 0.1, 0.5, 4)),
        ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 20, 0.01), lambda e: blog.cosine_annealing(e, 0.1, 20, 0.01)),
    ]:  # fmt: skip
        opt = torch.optim.SGD([torch.zeros(1)], lr=0.1)
        schedule, lrs = make(opt), []
        for _ in range(31):  # past T_max
            lrs.append(schedule.get_last_lr()[0])
            opt.step()
            schedule.step()
        _close([mine(e) for e in range(31)], lrs, name)
    z = np.array([-1e4, -3.0, -0.0, 0.0, 0.5, 2.0, 1e4])  # the kink and saturation included
    for name, fn in [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
        zt = torch.tensor(z, requires_grad=True)
        fn(zt).sum().backward()
        _close(getattr(plain, name)(z), fn(zt), name)
        _close(getattr(plain, f"{name}_derivative")(z), zt.grad, f"{name}_derivative")
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal(s) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)])
    mask = rng.random((3, 5)) < 0.7
    mask[:, 0] = True  # every query attends somewhere
    expected = torch.nn.functional.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v)), attn_mask=torch.from_numpy(mask))  # fmt: skip
    _close(_load("plain_attention").attention(q, k, v, mask)[0], expected, "attention")
