"""Analyse: what an article's text becomes in the index, and what a query becomes.

``normalize`` (NFKC, case folding, Traditional to Simplified), ``chinese`` (word
segmentation), ``latin`` (English and Malay words), ``languages`` (which language each
line is), ``fields`` (the Whoosh analyzers of each field, pickled into the schema) and
``dedup`` (near-duplicate signatures). Shared by indexing and searching; writes nothing.
"""
