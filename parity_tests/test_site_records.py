"""The site's component pages' data: records map to the right catalog entries, sources resolve.

docs/_ext/make_records.py maps a ``PARITY_RECORD`` dump to the catalog's entries with
``report_data`` and the pages show the sources ``report_sources`` finds; the site itself is
built and opened in a browser by test_site.py.
"""

from __future__ import annotations

import inspect
from collections import Counter

import pytest

from parity_check.core import harness
from parity_check.core.catalog import CATALOG, E
from parity_check.core.report_data import catalog_test_name, comparisons, entry_status, records_for
from parity_check.core.report_sources import _source_lines, resolve, source_of

ACT = "test_activation.py::test_module_forward_backward"
ACT_F = "test_activation.py::test_function_and_derivative"


def rec(component, tensor="output", dtype="float64", headroom=0.01, test=ACT, **extra):
    node = f"parity_tests/{test}[{component}-{dtype}]"
    return dict(component=component, tensor=tensor, dtype=dtype, max_abs=headroom * 1e-12,
                max_rel=headroom * 1e-10, rtol=1e-10, atol=1e-12, headroom=headroom,
                test=node) | extra  # fmt: skip


def test_test_key_drops_the_folder_and_the_case():
    assert catalog_test_name("parity_tests/test_models.py::test_neuron[relu-(6, 3)-float64]") == (
        "test_models.py::test_neuron"
    )
    assert catalog_test_name("parity_tests/test_x.py::TestA::test_b[1]") == "test_x.py::test_b"


def test_harness_records_the_running_test():
    harness.assert_close([1.0], [1.0], component="report self-check", tensor="t", dtype="float64")
    record = harness.RECORDS.pop()  # not a parity figure: keep it out of a PARITY_RECORD dump
    assert (
        catalog_test_name(record["test"])
        == "test_site_records.py::test_harness_records_the_running_test"
    )


def test_a_test_of_several_components_is_narrowed_to_the_entrys():
    catalog = [E("scratch.nn.ReLU", "torch.nn.ReLU", "Activations", ACT),
               E("scratch.nn.Sigmoid", "torch.nn.Sigmoid", "Activations", ACT)]  # fmt: skip
    records = [rec("ReLU"), rec("Sigmoid"), rec("ReLU", "grad of input 0")]
    assert [r["component"] for r in records_for(catalog[0], records)] == ["ReLU", "ReLU"]
    assert [r["component"] for r in records_for(catalog[1], records)] == ["Sigmoid"]


def test_short_labels_and_derivatives_map_to_their_entries():
    loss = "test_loss.py::test_loss_options"
    catalog = [E("scratch.nn.CrossEntropyLoss", "t", "Losses", loss),
               E("scratch.nn.BCELoss", "t", "Losses", loss),
               E("scratch.functional.relu", "t", "Activations", ACT_F),
               E("scratch.functional.relu_derivative", "t", "Activations", ACT_F)]  # fmt: skip
    records = [rec("CE label_smoothing=0.1", test=loss), rec("BCE weight", test=loss),
               rec("relu", test=ACT_F), rec("relu", "derivative", test=ACT_F)]  # fmt: skip
    found = [[(r["component"], r["tensor"]) for r in records_for(e, records)]
             for e in catalog]  # fmt: skip
    assert found == [
        [("CE label_smoothing=0.1", "output")],
        [("BCE weight", "output")],
        [("relu", "output"), ("relu", "derivative")],
        [("relu", "derivative")],
    ]


def test_a_grad_entry_takes_its_own_records_else_its_functions():
    test = "test_x.py::test_grad"
    beale_grad = E("scratch.datasets.beale_grad", "t", "Optimizers and schedules", test)
    penalty_grad = E("scratch.regularization.l1_penalty_grad", "t", "Regularisation", test)
    records = [rec("beale", test=test), rec("beale_grad", test=test), rec("l1_penalty", test=test)]
    assert [r["component"] for r in records_for(beale_grad, records)] == ["beale_grad"]
    assert [r["component"] for r in records_for(penalty_grad, records)] == ["l1_penalty"]


def test_records_naming_no_entry_all_go_to_the_entry_of_their_test():
    models = "test_models.py::test_network_forward_and_gradients"
    catalog = [E("scratch.models.NeuralNetwork", "t", "MLP and backprop", models)]
    records = [rec("spiral MLP 2-64-32-3", test=models), rec("XOR net", test=models), rec("ReLU")]
    assert len(records_for(catalog[0], records)) == 2


def test_comparisons_keep_the_worst_record_per_tensor_and_dtype():
    rows = comparisons([rec("ReLU", headroom=0.2), rec("ReLU", headroom=0.05),
                        rec("ReLU", dtype="float32", headroom=0.5)])  # fmt: skip
    assert len(rows) == 1 and rows[0]["count"] == 3
    assert rows[0]["float64"]["headroom"] == 0.2 and rows[0]["float32"]["headroom"] == 0.5


@pytest.mark.parametrize("name", ["scratch.nn.ReLU", "torch.nn.ReLU", "torch.nn.Module",
                                  "scratch.nn.Module", "torch.nn.MultiheadAttention"])  # fmt: skip
def test_class_sources_are_what_inspect_finds(name):
    obj = resolve(name)
    assert _source_lines(obj) == inspect.getsourcelines(obj)


def test_sources_are_labelled_python_or_builtin():
    assert source_of("scratch.nn.ReLU").language == "python"
    builtin = source_of("torch.sigmoid")
    assert builtin.language == "text" and "built-in" in builtin.label and builtin.code


def test_an_entry_whose_test_failed_is_marked_failed():
    entry = E("scratch.nn.ReLU", "torch.nn.ReLU", "Activations", ACT, ACT_F)
    rows = comparisons([rec("ReLU")])
    assert entry_status(entry, {ACT: Counter(passed=3, failed=1)}, rows) == "failed"
    assert entry_status(entry, {ACT_F: Counter(passed=2)}, rows) == "passed"
    assert entry_status(entry, {}, rows) == "not run"
    assert entry_status(entry, None, comparisons([rec("ReLU", headroom=2.0)])) == "over tolerance"


def site_extension(name: str):
    """A module of docs/_ext (the site's Sphinx extensions), imported as conf.py does."""
    import importlib
    import sys
    from pathlib import Path

    ext = str(Path(__file__).resolve().parent.parent / "docs" / "_ext")
    if ext not in sys.path:
        sys.path.insert(0, ext)
    return importlib.import_module(name)


def test_a_component_without_a_record_fails_the_build(tmp_path):
    import json

    from sphinx.errors import ExtensionError

    components = site_extension("components")
    entries = {e.scratch: {} for e in CATALOG[1:]}  # the first component has no record
    (tmp_path / "records.json").write_text(json.dumps({"run": {}, "entries": entries}))
    with pytest.raises(ExtensionError, match=CATALOG[0].scratch.replace(".", r"\.")):
        components.load_records(tmp_path)
    with pytest.raises(ExtensionError, match="make_records.py"):
        components.load_records(tmp_path / "nowhere")


@pytest.mark.parametrize("headroom,shown", [(None, "no numeric comparison"), (0.1, "0.1"),
                                            (0.11, "**0.11**"), (1.5, "**1.5 (over the tolerance)**")])  # fmt: skip
def test_headroom_above_a_tenth_of_the_tolerance_is_highlighted(headroom, shown):
    assert site_extension("components").level(headroom) == shown
