"""The scenario registry: names come from it, specs are checked against it, records decode through it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from zoo_testing import make_spec

from zoo import ZooError
from zoo.backends import backend_class, capabilities
from zoo.cli import main
from zoo.measure.executors import decode
from zoo.measure.plan import plan
from zoo.measure.scenarios import _SCENARIOS, register_scenario, run_scenario, scenario, scenario_names
from zoo.results.records import AccuracyRecord, LatencyRecord, ServerRecord, Status
from zoo.spec import Dataset, RunSpec


def test_every_measurement_is_a_registered_scenario() -> None:
    assert scenario_names() == ("latency", "throughput", "server", "accuracy", "agreement")
    assert scenario_names("bench") == ("latency", "throughput", "server")
    assert scenario_names("eval") == ("accuracy",)
    assert scenario("accuracy").record is AccuracyRecord and scenario("server").record is ServerRecord


def test_an_unknown_scenario_is_refused_in_one_line() -> None:
    with pytest.raises(ZooError, match="unknown scenario 'nosuch'; scenarios are latency, throughput"):
        plan([], ["torch"], scenarios=["nosuch"])


def test_a_backend_lists_only_what_it_cannot_run() -> None:
    assert backend_class("torch").UNSUPPORTED_SCENARIOS == ()
    assert not backend_class("torch-compile").runs("throughput")
    offered = {c.name: c.scenarios for c in capabilities(scenario_names())}
    assert offered["onnxruntime"] == scenario_names()
    assert "throughput" not in offered["torch-compile"] and "accuracy" in offered["torch-compile"]


def test_the_dataset_travels_in_the_spec() -> None:
    dataset = Dataset(name="imagenet-val", folder="/data/val", layout="flat", labels="/data/l.txt", limit=5)
    spec = make_spec("openvino", scenario="accuracy", dataset=dataset, outputs="/tmp/x")
    back = RunSpec.from_json(spec.to_json())
    assert back == spec and back.dataset == dataset and back.key.endswith("|accuracy")
    with pytest.raises(ZooError, match="--limit"):
        Dataset(limit=0)


def test_a_new_scenario_is_one_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario registered with its record type is planned, run and decoded like the built-ins."""
    monkeypatch.setattr("zoo.measure.scenarios._SCENARIOS", dict(_SCENARIOS))

    @register_scenario("echo", LatencyRecord)
    def echo(spec: RunSpec, environment: dict[str, Any]) -> LatencyRecord:
        """Nothing timed: the record says which spec it saw."""
        return LatencyRecord.for_spec(spec, Status.OK, reason=spec.key, environment=environment)

    spec = make_spec("torch", scenario="echo")
    record = run_scenario(spec, {"id": "here"})
    result = json.loads(json.dumps({"kind": record.KIND, "record": record.as_dict()}))  # as a worker writes
    back = decode(spec, result)
    assert isinstance(back, LatencyRecord) and back.status == "ok"
    assert back.reason == spec.key == back.key and back.environment == {"id": "here"}
    assert "echo" in {c.name: c.scenarios for c in capabilities(scenario_names())}["torch"]


def test_old_status_values_read_back_in_the_one_vocabulary() -> None:
    record = AccuracyRecord.failed(make_spec("torch", scenario="accuracy"), "boom")
    old = {**record.as_dict(), "status": "error"}  # what accuracy records said before
    assert AccuracyRecord.from_dict(old).status is Status.FAILED
    assert replace(record, status=Status("ok")).status == "ok"


def test_bench_offers_the_timed_scenarios_of_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "--scenario", "accuracy"])
    assert (
        "invalid choice: 'accuracy' (choose from 'latency', 'throughput', 'server')"
        in capsys.readouterr().err
    )
