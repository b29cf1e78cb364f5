"""Hyperparameter dataclasses and the command-line flags generated from them.

A field is declared with `param(default, "one-line doc")`; `add_arguments` turns every
field into a `--kebab-case` flag with that doc as its help, nested dataclasses included
(their fields keep their own names, so they must not collide). A field declared with
`resumable=True` may take a new value when a run is resumed (how long it runs, how many
threads it uses); every other field is fixed by the run it belongs to.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import types
import typing
from collections.abc import Iterator
from typing import Any


def param(default: Any, doc: str, resumable: bool = False) -> Any:
    """A dataclass field with its one-line documentation; `resumable` fields may change on resume."""
    metadata = {"doc": doc, "resumable": resumable}
    if isinstance(default, (list, dict, tuple)):
        return dataclasses.field(default_factory=lambda: default, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _base_type(tp: Any) -> Any:
    """The type of an annotation such as `int | None` (`int`)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(tp) if a is not type(None)][0]
    return tp


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Adds a flag for every field of the dataclass `cls` (recursively)."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = _base_type(hints[f.name])
        if dataclasses.is_dataclass(tp):
            add_arguments(parser.add_argument_group(tp.__name__), tp)
            continue
        doc = f.metadata.get("doc", "")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        help_text = f"{doc} (default: {default})"
        if tp is bool:
            parser.add_argument(_flag(f.name), action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif typing.get_origin(tp) is tuple:
            item = typing.get_args(tp)[0]
            metavar = "NAME" if item is str else "N"
            parser.add_argument(_flag(f.name), type=item, nargs="+", default=None, metavar=metavar, help=help_text)
        else:
            parser.add_argument(_flag(f.name), type=tp, default=None, help=help_text)


def from_arguments(cls: type, args: argparse.Namespace, base: Any = None) -> Any:
    """Builds `cls` from parsed flags; flags left out keep `base`'s values (or the defaults).

    The defaults are the fields' own, not those of a `cls()`: a default resolved in
    `__post_init__` from other fields (the network size from the environment) is then
    resolved from the flags given, not from the default environment.
    """
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        tp = _base_type(hints[f.name])
        if dataclasses.is_dataclass(tp):
            values[f.name] = from_arguments(tp, args, None if base is None else getattr(base, f.name))
            continue
        given = getattr(args, f.name, None)
        if given is None:
            if base is not None:
                values[f.name] = getattr(base, f.name)
            elif f.default is not dataclasses.MISSING:
                values[f.name] = f.default
            else:
                values[f.name] = f.default_factory()
        else:
            values[f.name] = tuple(given) if typing.get_origin(tp) is tuple else given
    return cls(**values)


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Rebuilds a config saved by `to_dict`; unknown keys are an error."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {sorted(unknown)}")
    values = {}
    for name, value in data.items():
        tp = _base_type(hints[name])
        if dataclasses.is_dataclass(tp):
            value = from_dict(tp, value)
        elif typing.get_origin(tp) is tuple and value is not None:
            value = tuple(value)
        values[name] = value
    return cls(**values)


def resumed(cls: type, saved: Any, args: argparse.Namespace) -> Any:
    """`saved` (a `cls`) with the flags of `args` applied, for a resumed run.

    Raises:
        ValueError: naming every flag that would change a field not declared resumable.
    """
    config = from_arguments(cls, args, saved)
    check_resumable(saved, config)
    return config


def check_resumable(saved: Any, config: Any) -> None:
    """Raises `ValueError` if `config` differs from `saved` in a field not declared
    `resumable`: the network sizes, the environment, the seed, ... which a run's
    checkpoint and data depend on."""
    changed = [
        f"{_flag(name)} {_show(new)} (the run has {_show(old)})"
        for name, old, new, resumable in _leaves(saved, config)
        if not resumable and new != old
    ]
    if changed:
        allowed = sorted(_flag(name) for name, _, _, resumable in _leaves(saved, saved) if resumable)
        raise ValueError(f"cannot change {'; '.join(changed)} when resuming; only {', '.join(allowed)} may change")


def _leaves(a: Any, b: Any) -> list[tuple[str, Any, Any, bool]]:
    """(name, value in a, value in b, resumable) of every leaf field, nested dataclasses included."""
    out = []
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if dataclasses.is_dataclass(x):
            out += _leaves(x, y)
        else:
            out.append((f.name, x, y, bool(f.metadata.get("resumable", False))))
    return out


def _show(value: Any) -> str:
    return " ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def check_range(
    config: Any, name: str, low: float | None = None, high: float | None = None, *, above: bool = False
) -> None:
    """Raises `ValueError` unless field `name` of `config` is a finite number in
    [low, high] (`above`: strictly above `low`), naming the field as the flag does."""
    value = getattr(config, name)
    bounds = ([f"{'>' if above else '>='} {low}"] if low is not None else []) + (
        [f"<= {high}"] if high is not None else []
    )
    ok = isinstance(value, (int, float)) and math.isfinite(value)
    ok = ok and (low is None or (value > low if above else value >= low)) and (high is None or value <= high)
    if not ok:
        raise ValueError(f"{name} must be a finite number{' ' if bounds else ''}{' and '.join(bounds)}, got {value}")


@contextlib.contextmanager
def cli_errors(parser: argparse.ArgumentParser) -> Iterator[None]:
    """Every command line's one way out on bad input: `error: <message>` on one line and
    exit code 2, as argparse's own errors, never a traceback."""
    try:
        yield
    except (FileNotFoundError, ValueError, TypeError, OSError) as e:
        message = " ".join(str(e).split())
        parser.exit(2, f"error: {message}\n")
