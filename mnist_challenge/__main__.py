"""Command line: `python -m mnist_challenge train|evaluate` (console script `mnist-challenge`).

Every field of `train.Config` is an option (`--batch-size 256`, `--no-augment`);
`--preset fast` changes the defaults, and options given explicitly still win. `--engine
numpy` trains the NumPy twin; it turns channels_last off (torch's memory format) unless
`--channels-last` is given, which it then refuses, as it refuses `--bf16` and `--device cuda`.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from mnist_challenge.data import MNISTDataError
from mnist_challenge.engines import ENGINES as TRAIN_ENGINES
from mnist_challenge.evaluate import ENGINES, evaluate
from mnist_challenge.train import DEVICES, PRESETS, Config, train


def _checked(kind: type, test: Callable[[float], bool], expected: str) -> Callable[[str], object]:
    """An argparse type that names what was expected when the value is wrong."""

    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


def _widths(text: str) -> tuple[int, int, int]:
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 3 or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected three positive ints like 8,16,24, got {text!r}")
    return widths  # type: ignore[return-value]


def _device(text: str) -> str:
    if text.split(":")[0] not in DEVICES:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(DEVICES)}, got {text!r}")
    return text


# Options whose values must be checked beyond their type.
SPECIAL = {
    "epochs": _checked(int, lambda v: v >= 1, "an integer >= 1"),
    "batch_size": _checked(int, lambda v: v >= 1, "an integer >= 1"),
    "lr": _checked(float, lambda v: math.isfinite(v) and v > 0, "a positive number"),
    "weight_decay": _checked(float, lambda v: v >= 0, "a number >= 0"),
    "widths": _widths,
    "device": _device,
    "preset": None,
}


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    for field in dataclasses.fields(Config):
        flag = "--" + field.name.replace("_", "-")
        if field.name == "preset":
            parser.add_argument(flag, choices=sorted(PRESETS), default="default")
        elif field.name == "engine":
            parser.add_argument(flag, choices=TRAIN_ENGINES, default=None,
                                help="torch (default) or numpy: the NumPy twin, by hand")  # fmt: skip
        elif field.name == "channels_last":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help="default True; False (and refused) with --engine numpy")  # fmt: skip
        elif isinstance(field.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help=f"default {field.default}")  # fmt: skip
        else:
            kind = SPECIAL.get(field.name) or type(field.default)
            shown = ",".join(map(str, field.default)) if field.name == "widths" else field.default
            parser.add_argument(flag, type=kind, default=None, metavar=field.name.upper(),
                                help=f"default {shown!r}")  # fmt: skip


def config_from_args(args: argparse.Namespace) -> Config:
    """Config defaults, then the preset, then the options given on the command line."""
    values = dict(PRESETS[args.preset], preset=args.preset)
    if args.engine == "numpy":
        values["channels_last"] = False  # a torch memory format; given explicitly, it is refused
    for field in dataclasses.fields(Config):
        given = getattr(args, field.name)
        if given is not None and field.name != "preset":
            values[field.name] = given
    return Config(**values)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage is what `--help` is for)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def option_names(message: str) -> str:
    """A Config field at the start of an error message, as the option the user typed:
    'channels_last: expected ...' -> '--channels-last: expected ...'."""
    field, sep, rest = message.partition(": ")
    if sep and field in {f.name for f in dataclasses.fields(Config)}:
        return f"--{field.replace('_', '-')}: {rest}"
    return message


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="mnist-challenge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_train = sub.add_parser("train", help="train ChallengeNet (defaults reach >= 99.6%%)")
    _add_config_options(p_train)
    p_eval = sub.add_parser("evaluate", help="test accuracy of a checkpoint")
    p_eval.add_argument("--checkpoint", required=True)
    p_eval.add_argument("--data-dir", default="")
    p_eval.add_argument("--device", type=_device, default="auto")
    p_eval.add_argument("--engine", choices=ENGINES, default="torch")
    p_eval.add_argument("--repeats", type=_checked(int, lambda v: v >= 1, "an integer >= 1"),
                        default=3, help="passes per engine with --engine both; the fastest "
                        "counts (default 3)")  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            train(config_from_args(args))
        else:
            result = evaluate(args.checkpoint, args.data_dir, args.device, args.engine,
                              args.repeats)  # fmt: skip
            whose = "numpy twin" if args.engine == "both" else args.engine  # both: the twin's
            print(f"test accuracy ({whose}): {result['test_accuracy']:.4f}")
            for k, acc in enumerate(result["per_class_accuracy"]):
                print(f"  digit {k}: {acc:.4f}")
            if args.engine == "both":
                print(
                    f"numpy vs torch: max |logit difference| {result['max_abs_logit_diff']:.2e}, "
                    f"{result['prediction_mismatches']} predictions differ, inference time "
                    f"numpy {result['numpy_seconds']:.2f} s / torch {result['torch_seconds']:.2f} s "
                    f"= {result['numpy_over_torch_time']:.2f}x"
                )
    except (ValueError, MNISTDataError, NotImplementedError, FileNotFoundError) as e:
        parser.exit(2, f"{parser.prog} {args.command}: error: {option_names(str(e))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
