"""The SPARQL endpoint's engine side, without HTTP: what a query may do and how it runs.

``policy``   what is refused before a query reaches the engine (updates, SERVICE, a dataset, deep nesting)
``results``  the answer formats and their serialization, and the row cap
``sandbox``  how a query process confines itself (memory, CPU time, no new descriptors, parent death)
``worker``   the query process: ``python -m kg.sparql.worker`` (never imports Flask or owlready2)
``pool``     the API process's pool of query processes: time limit, replacement, what a death means

The HTTP protocol and the service description are in ``api/sparql.py``. Nothing here imports the
package's other modules at import time, so a query process stays small.
"""
