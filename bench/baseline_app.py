"""The naive baseline for bench/http_bench.py: a plain Flask hello route.

Served by ``gunicorn -w 2 -b 127.0.0.1:PORT bench.baseline_app:app`` (sync workers), it is what
"a Flask app on the textbook server" costs on this machine, with no graph, no headers, no cache.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
