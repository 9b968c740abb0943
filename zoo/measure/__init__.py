"""What zoo measures about a model: inputs, latency, accuracy, agreement, FLOPs."""
