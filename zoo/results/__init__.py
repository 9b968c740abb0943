"""Store every measurement, export the latest, and compare runs."""

from zoo.results._csv import merge_csv
from zoo.results.analysis import Comparison, compare, export, latest_measurements, results_frame
from zoo.results.store import ResultsStore, ResultsStoreError, Run, as_row, default_db_path, open_store

__all__ = [
    "Comparison",
    "ResultsStore",
    "ResultsStoreError",
    "Run",
    "as_row",
    "compare",
    "default_db_path",
    "export",
    "latest_measurements",
    "merge_csv",
    "open_store",
    "results_frame",
]
