"""The campaign builder's domain: what the canvas draws and what an edit on it means.

The canvas and side panel only edit the draft's JSON graph: `builder_forms` turns node
types into palette entries and forms (from each node's config schema) and a form's text
back into a validated config, `builder_canvas` turns canvas edits into a graph, and
`builder_view` a graph into plain-language node summaries. Pages import this module.
Saving, validating and publishing stay in `lifecycle`.
"""

from backoffice.workflows.campaigns.builder_canvas import (
    COLUMN_WIDTH,
    ROW_HEIGHT,
    add_node,
    apply_canvas,
    auto_layout,
    new_node_id,
    remove_node,
    set_node_config,
)
from backoffice.workflows.campaigns.builder_forms import (
    CATEGORIES,
    OPS,
    RULE_KINDS,
    FieldSpec,
    branch_rows,
    build_config,
    condition_from_rows,
    field_specs,
    form_values,
    palette,
    reference_options,
    rule_rows,
    secret_is_set,
)
from backoffice.workflows.campaigns.builder_view import (
    Names,
    canvas_view,
    condition_text,
    describe,
    graph_is_empty,
    handle_labels,
    is_node_type,
    load_names,
    node_type_help,
    node_type_label,
    problem_text,
    trigger_types,
    validate_shape,
)

__all__ = [
    "CATEGORIES",
    "COLUMN_WIDTH",
    "FieldSpec",
    "Names",
    "OPS",
    "ROW_HEIGHT",
    "RULE_KINDS",
    "add_node",
    "apply_canvas",
    "auto_layout",
    "branch_rows",
    "build_config",
    "canvas_view",
    "condition_from_rows",
    "condition_text",
    "describe",
    "field_specs",
    "form_values",
    "graph_is_empty",
    "handle_labels",
    "is_node_type",
    "load_names",
    "new_node_id",
    "node_type_help",
    "node_type_label",
    "palette",
    "problem_text",
    "reference_options",
    "remove_node",
    "rule_rows",
    "secret_is_set",
    "set_node_config",
    "trigger_types",
    "validate_shape",
]
