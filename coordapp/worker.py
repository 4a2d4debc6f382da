"""The background worker's entry point: `huey_consumer coordapp.worker.huey`.

Builds the app first: `create_app` loads `.env`, points `huey` at the queue the
configuration names, the one the web app uses, and plugs in every feature
(coordapp/features.py), which registers their jobs; jobs run in this app's context.
What start-up built is then frozen out of the garbage collector's full passes
(`coordapp.serving`), which otherwise traverse it several times during each PDF
rendering (a 57-page report rendered ~10 % faster).
A thread of its own then beats the worker's heartbeat (coordapp/heartbeat.py), which
/readyz and /metrics read.
"""

from coordapp import create_app, heartbeat, serving
from coordapp.jobs import huey  # noqa: F401  (what huey_consumer runs)

app = serving(create_app())
heartbeat.start(app)
