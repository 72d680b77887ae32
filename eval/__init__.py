"""Relevance evaluation (issue 5): mlsearch beside the naive Whoosh + jieba pipeline.

``python -m eval.run`` runs it; see eval/README.md. Sections: ``topics`` (Malay topics,
MAP/recall/nDCG), ``known`` (known-item search per language), ``substring`` (Chinese
substring recall), ``sighan`` (segmentation F1); ``metrics`` holds the formulas.
"""
