"""Results: one record type per kind, the SQLite history, the committed export, and comparisons."""

from zoo.results._csv import check_export
from zoo.results.analysis import Comparison, compare, export, latest_measurements, results_frame
from zoo.results.records import (
    AccuracyRecord,
    AccuracyStatus,
    AgreementRecord,
    AgreementStatus,
    LatencyRecord,
    LatencyStatus,
    LogitAgreement,
    RunStatus,
)
from zoo.results.runs import RunHandle, plan_digest, recorded_run
from zoo.results.stats import Proportion, Stats
from zoo.results.store import ResultsStore, ResultsStoreError, Run, StoreWriteError, open_store

__all__ = [
    "AccuracyRecord",
    "AccuracyStatus",
    "AgreementRecord",
    "AgreementStatus",
    "Comparison",
    "LatencyRecord",
    "LatencyStatus",
    "LogitAgreement",
    "Proportion",
    "ResultsStore",
    "ResultsStoreError",
    "Run",
    "RunHandle",
    "RunStatus",
    "Stats",
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
