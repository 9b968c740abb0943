"""Check a model index against the models: measure each declared field and say whether it holds.

`validate_model` builds a model once on the `meta` device and measures FLOPs (under several
conventions), parameters, file size and input config from it; declared accuracy is compared with the
latest `zoo eval` export. The input config is judged against the timm pretrained tag the declared
weights are (`resolve_pretrained`). Each field becomes a `Verdict`, plain data that the CLI only prints.
"""

from zoo.validate._checks import FILE_SIZE_TOLERANCE, FLOPS_TOLERANCE, TAG_FIELDS, declared_rounding
from zoo.validate._checks import weights as weights_verdict
from zoo.validate._meta import estimate_file_size
from zoo.validate._results import ACCURACY_CSV, load_accuracy
from zoo.validate._run import validate_index, validate_model
from zoo.validate._session import Validation, held_back, validate_and_write
from zoo.validate._verdict import FIELDS, VERDICTS, Verdict, exit_code, model_verdict, summarize
from zoo.validate._write import WRITABLE, Edit, apply_edits, plan_edits, unified_diff, write_fields
from zoo.weights import Pretrained, resolve_pretrained

__all__ = [
    "ACCURACY_CSV",
    "FIELDS",
    "FILE_SIZE_TOLERANCE",
    "FLOPS_TOLERANCE",
    "TAG_FIELDS",
    "VERDICTS",
    "WRITABLE",
    "Edit",
    "Pretrained",
    "Validation",
    "Verdict",
    "apply_edits",
    "declared_rounding",
    "estimate_file_size",
    "exit_code",
    "held_back",
    "load_accuracy",
    "model_verdict",
    "plan_edits",
    "resolve_pretrained",
    "summarize",
    "unified_diff",
    "validate_and_write",
    "validate_index",
    "validate_model",
    "weights_verdict",
    "write_fields",
]
