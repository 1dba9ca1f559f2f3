"""
One module per FHIR resource type; importing them registers their mappers. Every module of this package
whose name does not start with "_" is imported, so a new resource is one new file.
"""

import importlib
import pkgutil

from carecoord.interop.fhir import history

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

history.connect()
