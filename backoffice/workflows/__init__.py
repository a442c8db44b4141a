"""The automation engine: graph schema, node catalog, conditions, runner, RQ jobs, triggers,
the scheduler and the worker; `campaigns/` holds the use cases pages and the API call.

Importing the engine (every page, API route, worker and command that touches campaigns
does) connects committed domain events to the dispatcher: `jobs` registers its wake-up
with `db.on_events_committed`, so a sale recorded anywhere starts its campaigns at once
rather than at the scheduler's next minute.
"""

from backoffice.workflows import jobs as _jobs  # noqa: F401  (registers the wake-up)
