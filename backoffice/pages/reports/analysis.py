"""The analysis pages (RFM, churn warning, store comparison, staff performance): importing
this module registers their routes."""

from __future__ import annotations

from backoffice.pages.reports import churn as report_churn  # noqa: F401
from backoffice.pages.reports import rfm as report_rfm  # noqa: F401
from backoffice.pages.reports import tables as report_tables  # noqa: F401
