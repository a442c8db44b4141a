"""The node catalog: one small class per node type, with its config schema, label, help text,
handles, plain-language summary and what it does. Adding a node type is adding a class
(in triggers, flow or actions); importing this package registers them all."""

from backoffice.workflows.nodes import actions, flow, triggers
from backoffice.workflows.nodes.actions import WebhookConfig
from backoffice.workflows.nodes.base import REGISTRY, Empty, NodeType, register
from backoffice.workflows.nodes.flow import ConditionConfig, SplitConfig
from backoffice.workflows.steps import Context, Outcome

__all__ = [
    "REGISTRY",
    "ConditionConfig",
    "Context",
    "Empty",
    "NodeType",
    "Outcome",
    "SplitConfig",
    "WebhookConfig",
    "actions",
    "flow",
    "register",
    "triggers",
]
