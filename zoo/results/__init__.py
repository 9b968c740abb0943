"""Results: one record type per kind, the SQLite history, the committed export, and comparisons."""

from zoo.results._csv import check_export
from zoo.results.analysis import Comparison, compare, export, latest_measurements, results_frame
from zoo.results.records import (
    AccuracyRecord,
    AgreementRecord,
    LatencyRecord,
    LogitAgreement,
    RunStatus,
    Status,
)
from zoo.results.runs import RunHandle, plan_digest, recorded_run
from zoo.results.stats import Proportion, Stats
from zoo.results.store import ResultsStore, ResultsStoreError, Run, StoreWriteError, open_store

__all__ = [
    "AccuracyRecord",
    "AgreementRecord",
    "Comparison",
    "LatencyRecord",
    "LogitAgreement",
    "Proportion",
    "ResultsStore",
    "ResultsStoreError",
    "Run",
    "RunHandle",
    "RunStatus",
    "Stats",
    "Status",
    "StoreWriteError",
    "check_export",
    "compare",
    "export",
    "latest_measurements",
    "open_store",
    "plan_digest",
    "recorded_run",
    "results_frame",
]
