"""The Bedrock stand-in: a local server speaking Bedrock's wire protocol (simulated results)."""

from certtui.standin.scenario import (
    BehaviourProfile,
    FaultRates,
    Flaw,
    Latency,
    Model,
    Region,
    Scenario,
    ScenarioError,
    default_scenario,
    load_scenario,
    parse_scenario,
)
from certtui.standin.server import (
    NotLoopbackError,
    StandinServer,
    ThreadedStandin,
    serve,
    start_in_thread,
)
from certtui.standin.stats import ServerStats

__all__ = [
    "BehaviourProfile",
    "FaultRates",
    "Flaw",
    "Latency",
    "Model",
    "NotLoopbackError",
    "Region",
    "Scenario",
    "ScenarioError",
    "ServerStats",
    "StandinServer",
    "ThreadedStandin",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
    "serve",
    "start_in_thread",
]
