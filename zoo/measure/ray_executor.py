"""The `ray` executor: each configuration is one Ray task on a cluster (the optional extra `zoo[ray]`).

A task reserves as many CPUs as its thread budget, so two measurements never share cores on a
node, and it runs the very code the local executor runs (`run_in_subprocess`), so the node builds
its own exports in its own cache and only a small result dictionary travels back, with the logits an
accuracy or agreement worker left. A task whose worker or node dies is retried once by Ray, then
recorded as failed.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from typing import Any

from zoo._errors import ZooError
from zoo.measure.executors import decode, run_in_subprocess, with_logits
from zoo.results.records import Record
from zoo.spec import RunSpec

CONNECT_TIMEOUT_S = 3.0


def _measure_on_node(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """On the node: the spec carries the model's data config and weights; no index is read there."""
    run = RunSpec.from_dict(spec)
    return with_logits(run, run_in_subprocess(run, timeout_s))


def _check_reachable(address: str) -> None:
    """Fail fast, before anything is written, when a `host:port` address does not answer."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", "ray://..." and the like: Ray resolves those itself
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise ZooError(f"no Ray cluster reachable at {address}: {error.strerror or error}") from None


class RayExecutor:
    """Configurations as Ray tasks; results are yielded in the order they finish."""

    name = "ray"

    def __init__(self, address: str | None = None, timeout_s: float = 600.0) -> None:
        try:
            import ray
        except ImportError:
            raise ZooError("the ray executor needs Ray: pip install 'zoo[ray]'") from None
        if address:
            _check_reachable(address)
        self.ray = ray
        self.timeout_s = timeout_s
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        except (ConnectionError, RuntimeError) as error:
            raise ZooError(
                f"cannot join the Ray cluster at {address or 'a new local instance'}: {error}"
            ) from None
        self.remote = ray.remote(max_retries=1, retry_exceptions=False)(_measure_on_node)

    def run(self, specs: Iterable[RunSpec]) -> Iterator[Record]:
        pending = {
            self.remote.options(num_cpus=spec.threads).remote(spec.to_dict(), self.timeout_s): spec
            for spec in specs
        }
        while pending:
            [ready], _ = self.ray.wait(list(pending), num_returns=1)
            spec = pending.pop(ready)
            try:
                result = self.ray.get(ready)
            except self.ray.exceptions.RayError as error:
                reason = (
                    str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
                )
                result = {"died": f"Ray task failed after one retry: {type(error).__name__}: {reason}"}
            yield decode(spec, result)

    def shutdown(self) -> None:
        self.ray.shutdown()
