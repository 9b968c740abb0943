"""zoo: benchmark, evaluate, validate and document a zoo of vision models.

The pipeline reads left to right in the package: `index` (parse and check metadata) ->
`backends` (run a model) -> `measure` (latency, accuracy, FLOPs) -> `results` (store, export)
-> `cards` (render model cards) -> `cli`.
"""

from zoo._errors import ZooError

__version__ = "0.1.0"

__all__ = ["ZooError", "__version__"]
