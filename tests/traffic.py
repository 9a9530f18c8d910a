"""`scripts/traffic.py` loaded as a module, for the tests that check reports against it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "traffic.py"


def load_traffic() -> ModuleType:
    """The traffic generator script as a module (scripts/ is not a package)."""
    name = "faqbot_traffic_script"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
