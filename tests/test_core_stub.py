"""The typed stub `_core.pyi` names exactly what the C++ extension exports."""

import ast
from pathlib import Path

import gail_fast
from gail_fast import _core


def test_stub_matches_the_extension():
    stub = Path(gail_fast.__file__).with_name("_core.pyi")
    tree = ast.parse(stub.read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    assert names == {n for n in dir(_core) if not n.startswith("_")}
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert {cls.name for cls in classes} == {"BatchEnv", "SiteKinematics"}
    for cls in classes:
        methods = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)} - {"__init__"}
        assert methods == {n for n in dir(getattr(_core, cls.name)) if not n.startswith("_")}, cls.name
