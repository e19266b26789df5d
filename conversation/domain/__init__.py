"""conversation's rules as plain Python: ids, settings validation, search text, tree order, exports."""
