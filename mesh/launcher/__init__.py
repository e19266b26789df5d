"""Running the whole mesh on one machine: `python -m mesh up | status | infra`.

Split by job: child supervision (child, backoff, logs), what is printed
(table, report), health probes, the embedded servers, and the `up` and
`status` commands that put them together.
"""
