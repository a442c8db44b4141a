"""Campaign pages: the list and the builder (canvas, side panel, test runs, runs)."""
