"""The domain core: models, cache, fetching, parsing, extraction, related links.

Nothing in this package imports Textual or Rich; the app layer and the CLI call into it.
"""
