"""How zoo measures: `plan` (index and arguments -> run specs), `scenarios` (latency, throughput, accuracy,
agreement), the measuring process (`worker`), executors (local, Ray), the contention probe, the
environment fingerprint, and FLOPs."""
