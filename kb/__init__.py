"""The knowledge store: articles and passages, ingestion of files, Thai search, plan import.

Pure text logic (normalisation, parsing) lives in plain modules beside the database code.
"""
