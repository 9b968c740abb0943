"""zoo: benchmark, evaluate, validate and document a zoo of vision models.

The pipeline reads left to right in the package: `index` (parse and check metadata) -> `backends`
(run a model) -> `measure` (plan run specs, scenarios: latency, throughput, accuracy, agreement) ->
`results` (records, store, export) -> `cards` (render model cards) -> `publish` (site, Hub cards) ->
`cli`. The names below are zoo's Python API; they are imported when first used, so `import zoo`
stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zoo._errors import ZooError

__version__ = "0.1.0"

# name -> the module that defines it
_API = {
    "load_index": "zoo.index",
    "project_paths": "zoo.paths",
    "Precision": "zoo.spec",
    "RunSpec": "zoo.spec",
    "Scenario": "zoo.spec",
    "plan": "zoo.measure.plan",
    "bench": "zoo.api",
    "check_backends": "zoo.api",
    "evaluate": "zoo.api",
    "LatencyRecord": "zoo.results",
    "AccuracyRecord": "zoo.results",
    "AgreementRecord": "zoo.results",
    "open_store": "zoo.results",
    "export": "zoo.results",
    "Verdict": "zoo.results.records",
    "validate_index": "zoo.validate",
    "render_cards": "zoo.cards",
    "build_site": "zoo.publish",
}

__all__ = [
    "AccuracyRecord",
    "AgreementRecord",
    "LatencyRecord",
    "Precision",
    "RunSpec",
    "Scenario",
    "Verdict",
    "ZooError",
    "__version__",
    "bench",
    "build_site",
    "check_backends",
    "evaluate",
    "export",
    "load_index",
    "open_store",
    "plan",
    "project_paths",
    "render_cards",
    "validate_index",
]

if TYPE_CHECKING:
    from zoo.api import bench, check_backends, evaluate
    from zoo.cards import render_cards
    from zoo.index import load_index
    from zoo.measure.plan import plan
    from zoo.paths import project_paths
    from zoo.publish import build_site
    from zoo.results import AccuracyRecord, AgreementRecord, LatencyRecord, export, open_store
    from zoo.results.records import Verdict
    from zoo.spec import Precision, RunSpec, Scenario
    from zoo.validate import validate_index


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)
