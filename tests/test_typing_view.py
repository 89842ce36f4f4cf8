"""``ember/_tensor_typing.py`` (what mypy sees of Tensor's attached methods) matches ``install``."""

import ast
from pathlib import Path

from ember import _tensor_methods

EMBER = Path(_tensor_methods.__file__).parent


def _class_names(path: Path, cls: str) -> set[str]:
    """Names a class body binds (defs and assignments, also under ``if TYPE_CHECKING:``)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            names = set()
            for n in ast.walk(node):
                if isinstance(n, ast.FunctionDef):
                    names.add(n.name)
                elif isinstance(n, ast.Assign):
                    names |= {t.id for t in n.targets if isinstance(t, ast.Name)}
            return names
    raise AssertionError(f"no class {cls} in {path}")


def test_every_installed_method_is_declared_for_mypy():
    class T:
        pass

    _tensor_methods.install(T)
    installed = set(vars(T)) - set(vars(type("Empty", (), {})))
    declared = _class_names(EMBER / "_tensor_typing.py", "TensorMethods")
    own = _class_names(EMBER / "_tensor.py", "Tensor")
    assert installed - declared - own == set()
    assert declared - installed == set()
