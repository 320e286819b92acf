from hub.flows.models.delivery import DeadLetter, Delivery, DeliveryAttempt, DeliveryState
from hub.flows.models.flow import Flow, FlowState, Trigger
from hub.flows.models.inbound import InboundBatch, InboundState
from hub.flows.models.run import Outcome, Quarantined, QuarantineState, RecordOutcome, Run, RunState

__all__ = [
    "DeadLetter",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "Flow",
    "FlowState",
    "InboundBatch",
    "InboundState",
    "Outcome",
    "QuarantineState",
    "Quarantined",
    "RecordOutcome",
    "Run",
    "RunState",
    "Trigger",
]
