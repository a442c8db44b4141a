"""Campaign workflows, as pages, the API and the CLI use them: drafts and publishing
(`drafts`), test and manual runs, history and retries (`runs`), segments (`segments`), and
the builder's list and goals (`overview`), published versions (`versions`), all within the designer's store scope."""

from backoffice.workflows.campaigns.drafts import (
    GOAL_KINDS,
    WorkflowInput,
    create_workflow,
    get_workflow,
    list_workflows,
    publish_workflow,
    save_draft,
    set_workflow_status,
    validate_workflow,
)
from backoffice.workflows.campaigns.overview import (
    WorkflowRow,
    conversions,
    duplicate_workflow,
    save_graph,
    trigger_match_count,
    workflow_conversion,
    workflow_overview,
)
from backoffice.workflows.campaigns.runs import (
    DryRun,
    DryRunStep,
    NodeCounters,
    dry_run_sample,
    dry_run_workflow,
    list_runs,
    node_counters,
    retry_run,
    run_now,
    run_steps,
    segment_member_ids,
)
from backoffice.workflows.campaigns.segments import (
    SegmentInput,
    list_segments,
    save_segment,
    segment_count,
)
from backoffice.workflows.campaigns.versions import (
    VersionRow,
    list_versions,
    restore_version,
    version_graph,
)

__all__ = [
    "DryRun",
    "DryRunStep",
    "GOAL_KINDS",
    "NodeCounters",
    "SegmentInput",
    "VersionRow",
    "WorkflowInput",
    "WorkflowRow",
    "conversions",
    "create_workflow",
    "dry_run_sample",
    "dry_run_workflow",
    "duplicate_workflow",
    "get_workflow",
    "list_runs",
    "list_segments",
    "list_versions",
    "list_workflows",
    "node_counters",
    "publish_workflow",
    "restore_version",
    "retry_run",
    "run_now",
    "run_steps",
    "save_draft",
    "save_graph",
    "save_segment",
    "segment_count",
    "segment_member_ids",
    "set_workflow_status",
    "trigger_match_count",
    "validate_workflow",
    "version_graph",
    "workflow_conversion",
    "workflow_overview",
]
