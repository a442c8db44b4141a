"""The analysis pages (RFM, churn warning, store comparison, staff performance): importing
this module registers their routes."""

from __future__ import annotations

from backoffice.pages import report_churn, report_rfm, report_tables  # noqa: F401
