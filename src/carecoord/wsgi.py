import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecoord.settings")
application = get_wsgi_application()
# What is loaded by now (Django, the apps, their modules) lives as long as the process: set aside from the
# garbage collector, so that its full collections no longer walk those objects during a request.
gc.freeze()
