"""The background worker's entry point: `huey_consumer coordapp.worker.huey`.

Builds the app first: `create_app` loads `.env`, points `huey` at the queue the
configuration names, the one the web app uses, and plugs in every feature
(coordapp/features.py), which registers their jobs; jobs run in this app's context.
What start-up built is then frozen out of the garbage collector's full passes
(`coordapp.serving`), which otherwise traverse it several times during each PDF
rendering (a 57-page report rendered ~10 % faster).
When the consumer starts, a thread of its own beats the worker's heartbeat
(coordapp/heartbeat.py), which /readyz and /metrics read: on huey's start-up hook, not at
import, so a program that only imports this module (the tests) starts no thread.
"""

from coordapp import create_app, heartbeat, serving
from coordapp.jobs import huey  # what huey_consumer runs

app = serving(create_app())


@huey.on_startup()
def _beat() -> None:
    heartbeat.start_once(app)
