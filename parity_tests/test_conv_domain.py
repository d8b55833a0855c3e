"""Conv2d and ConvTranspose2d over the size arguments torch takes: one-element tuples.

Split from test_conv.py (at its 400-line limit). torch's ``_pair`` keeps a sequence as it is
and its convolution expands one value to both axes ("a single integer value or a list of 2
values"); an empty tuple, or three values, it refuses.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.conv as tnn
from parity_check.core.harness import DTYPES, assert_close, check_module, randn

SIZE_TUPLES = [  # module, torch module, kwargs
    ("Conv2d(stride=(2,), padding=(1,))", snn.Conv2d, tnn.Conv2d, dict(stride=(2,), padding=(1,))),
    ("Conv2d(dilation=[2], padding=[1])", snn.Conv2d, tnn.Conv2d, dict(dilation=[2], padding=[1])),
    ("ConvTranspose2d((2,), (1,), (1,))", snn.ConvTranspose2d, tnn.ConvTranspose2d, dict(stride=(2,), padding=(1,), output_padding=(1,))),
    ("ConvTranspose2d(dilation=(2,))", snn.ConvTranspose2d, tnn.ConvTranspose2d, dict(dilation=(2,))),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,make,make_torch,kwargs", SIZE_TUPLES, ids=[c[0] for c in SIZE_TUPLES])  # fmt: skip
def test_one_element_size_tuples_as_torch(name, make, make_torch, kwargs, dtype):
    x = randn((2, 2, 7, 6), dtype)
    check_module(name, make(2, 3, 3, **kwargs), make_torch(2, 3, 3, **kwargs), x, dtype=dtype,
                 params_sum_outputs=True)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_one_element_size_tuples_as_torch(dtype):
    x, w = randn((2, 2, 7, 6), dtype), randn((3, 2, 3, 3), dtype, seed=1)
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    assert_close(sf.conv2d(x, w, None, (2,), (1,)), F.conv2d(xt, wt, None, (2,), (1,)),
                 component="conv2d(x, w, None, (2,), (1,))", tensor="output", dtype=dtype)  # fmt: skip
    assert_close(sf.conv2d(x, w, None, 1, 0, (2,)), F.conv2d(xt, wt, None, 1, 0, (2,)),
                 component="conv2d(dilation=(2,))", tensor="output", dtype=dtype)  # fmt: skip
    wT, wTt = w.transpose(1, 0, 2, 3).copy(), wt.transpose(0, 1)
    assert_close(sf.conv_transpose2d(x, wT, None, (2,), (1,), (1,)),
                 F.conv_transpose2d(xt, wTt, None, (2,), (1,), (1,)),
                 component="conv_transpose2d((2,), (1,), (1,))", tensor="output", dtype=dtype)  # fmt: skip


REFUSED = [  # torch raises RuntimeError for each; scratch a ValueError naming the argument
    (lambda m, x, w: m.conv2d(x, w, None, ()), "stride"),
    (lambda m, x, w: m.conv2d(x, w, None, 1, ()), "padding"),
    (lambda m, x, w: m.conv2d(x, w, None, 1, 0, ()), "dilation"),
    (lambda m, x, w: m.conv2d(x, w, None, (1, 1, 1)), "stride"),
    (lambda m, x, w: m.conv_transpose2d(x, w, None, 1, 0, ()), "output_padding"),
]


@pytest.mark.parametrize("call,name", REFUSED)
def test_size_tuples_torch_refuses_are_refused(call, name):
    x, w = randn((1, 2, 7, 7), "float64"), randn((2, 2, 3, 3), "float64", seed=1)
    with pytest.raises(RuntimeError, match=name):
        call(F, torch.from_numpy(x), torch.from_numpy(w))
    with pytest.raises(ValueError, match=name):
        call(sf, x, w)


@pytest.mark.parametrize("make", [snn.Conv2d, snn.ConvTranspose2d])
def test_a_one_element_kernel_size_is_refused_as_torch(make):
    """torch's _pair((3,)) is (3,): its weight comes out 3-D and the forward fails."""
    x = randn((1, 2, 7, 7), "float64")
    torch_make = getattr(tnn, make.__name__)
    with pytest.raises(RuntimeError, match="to match the convolution dimensions"):
        torch_make(2, 3, (3,)).double()(torch.from_numpy(x))
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair of ints"):
        make(2, 3, (3,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("output_size", [(14, 13), [13, 14], (2, 3, 14, 14)], ids=str)
def test_conv_transpose_output_size_picks_the_output_padding_as_torch(output_size, dtype):
    """forward(x, output_size): torch's choice of output_padding for an ambiguous stride."""
    kw = dict(stride=2, padding=1, dilation=(1, 2))
    s, t = snn.ConvTranspose2d(2, 3, 3, **kw), tnn.ConvTranspose2d(2, 3, 3, **kw)
    x = randn((2, 2, 7, 6), dtype)
    t = t.to(torch.float64 if dtype == "float64" else torch.float32)
    s.to(t.weight.detach().numpy().dtype).load_state_dict(t.state_dict())
    out_t = t(torch.from_numpy(x), output_size=output_size)
    assert_close(s(x, output_size=output_size), out_t, component=f"ConvTranspose2d(output_size={output_size})",
                 tensor="output", dtype=dtype)  # fmt: skip
    assert_close(s(x[0], output_size=output_size[-2:]), t(torch.from_numpy(x[0]), output_size=output_size[-2:]),
                 component="ConvTranspose2d(unbatched, output_size)", tensor="output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("output_size", [(15, 13), (12, 13), (2, 14, 13)], ids=str)
def test_conv_transpose_output_size_out_of_range_is_refused_as_torch(output_size):
    s, t = snn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), tnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)  # fmt: skip
    x = randn((2, 2, 7, 6), "float32")
    with pytest.raises(
        ValueError, match="output_size must have|requested an output size"
    ) as theirs:
        t(torch.from_numpy(x), output_size=output_size)
    ours = "requested an output size" if "requested" in str(theirs.value) else "output_size must have 2 or 4"  # fmt: skip
    with pytest.raises(ValueError, match=ours):
        s(x, output_size=output_size)


@pytest.mark.parametrize("make", [snn.Conv2d, snn.ConvTranspose2d])
def test_device_cpu_is_taken_and_others_refused(make):
    """torch's device=: NumPy computes on the CPU, so 'cpu' (or None) only; dtype=None is
    torch's default float32."""
    assert make(2, 3, 3, device="cpu", dtype=None).weight.dtype == np.float32
    assert make(2, 3, 3, device=torch.device("cpu"), dtype=np.float64).weight.dtype == np.float64
    with pytest.raises(ValueError, match="device must be None or 'cpu'"):
        make(2, 3, 3, device="cuda")
