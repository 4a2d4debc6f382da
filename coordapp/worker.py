"""The background worker's entry point: `huey_consumer coordapp.worker.huey`.

Builds the app first: `create_app` loads `.env` and points `huey` at the queue the
configuration names, the one the web app uses. Importing `tasks` registers every job;
jobs run in this app's context. What start-up built is then frozen out of the garbage
collector's full passes (`coordapp.serving`), which otherwise traverse it several times
during each PDF rendering (a 57-page report rendered ~10 % faster).
"""

from coordapp import create_app, serving

app = create_app()

from coordapp import tasks  # noqa: E402, F401  (registers the tasks)
from coordapp.jobs import huey  # noqa: E402, F401

serving(app)
