"""What gunicorn serves: `gunicorn wsgi:app`."""

import gc

from forum import create_app

app = create_app()
# What is built by now (mappers, templates, routes) lives as long as the process: keep
# the garbage collector from walking it again at every full collection.
gc.freeze()
