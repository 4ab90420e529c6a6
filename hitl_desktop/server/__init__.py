"""The team server: the research workflow served over HTTP by llama-agents-server, so several
reviewers' desktop apps share one queue of runs that outlives any one laptop. Qt-free.

- `auth`: the shared-token check every request passes through;
- `stores`: the workflow store a `--database` names (a SQLite file or a PostgreSQL URL);
- `app`: the WorkflowServer serving ResearchWorkflow, with the model and documents it uses;
- `cli`: `hitl-desktop-server` / `python -m hitl_desktop.server`.
"""

# The name runs are started under: POST /workflows/research/run-nowait.
WORKFLOW_NAME = "research"
