"""Report pages: the dashboard and the analysis pages, with their shared filter."""
