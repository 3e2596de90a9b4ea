"""Reach as audit evidence: the queries over the interaction log, the figures and indicators
computed from them, and their exports (table, CSV, XLSX, JSON, chart)."""
