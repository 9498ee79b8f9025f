"""What a stored trial means to a person: its measures, charts, norms, quality gate, progress over
time, re-analysis conventions, exports and recordings."""
