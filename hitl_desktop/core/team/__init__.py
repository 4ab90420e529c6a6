"""Team mode: the research workflow runs on a shared llama-agents server and this app is one of
its clients (settings, the run's session, the queue of every run on the server). Qt-free."""
