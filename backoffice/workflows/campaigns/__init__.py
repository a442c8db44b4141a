"""Campaigns as managers use them: drafts, validation, publishing, pause and resume, test
runs, run history and goals (`lifecycle`), what the builder canvas draws and means
(`builder`), and the starters.

These are the use cases pages and the API call; they sit in the workflows layer because
they stand on the engine (graph schema, node catalog, runner) beside them.
"""
