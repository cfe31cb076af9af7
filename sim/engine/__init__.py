"""The vectorised step: state arrays, prices, substitution, production, delivery, orders."""

from sim.engine.core import Engine, EngineParams, Policy, State, StepFlows, Structure
from sim.engine.ledger import LedgerError, check_ledger
from sim.engine.licensing import LicensingQueue
from sim.engine.pipeline import TransitPipeline

__all__ = ["Engine", "EngineParams", "LedgerError",
    "LicensingQueue", "Policy", "State", "StepFlows", "Structure",
           "TransitPipeline", "check_ledger"]
