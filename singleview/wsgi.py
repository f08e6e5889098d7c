import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "singleview.settings.local")

application = get_wsgi_application()

# What start-up made (modules, settings, the app registry) lives as long as the worker: out of
# the garbage collector's sight, its full collections stop walking it on every request that
# triggers one.
gc.freeze()
