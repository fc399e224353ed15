"""What a request cost its worker, in response headers, for bench.scale.

    X-Renkei-Cpu-Us     CPU time of the worker process for the request
                        (user + system, microseconds), from the first
                        middleware to the last
    X-Renkei-Queries    statements sent per database alias, e.g.
                        "default=4 replica=3"

The member simulation sums these per kind of page; together with the nodes'
CPU from /proc (bench.cluster.Node.cpu_seconds, which includes gunicorn's
own work) they give the cost of a page view that docs/scaling.md sizes by.
Only bench.scale_settings installs it.
"""

import time
from collections import Counter
from contextlib import ExitStack

from django.db import connections


class CostMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counts = Counter()

        def count(alias):
            def wrapper(execute, sql, params, many, context):
                counts[alias] += 1
                return execute(sql, params, many, context)

            return wrapper

        started = time.process_time()
        with ExitStack() as stack:
            for connection in connections.all(initialized_only=False):
                stack.enter_context(connection.execute_wrapper(count(connection.alias)))
            response = self.get_response(request)
        spent = time.process_time() - started
        response["X-Renkei-Cpu-Us"] = str(round(spent * 1_000_000))
        response["X-Renkei-Queries"] = " ".join(
            f"{alias}={number}" for alias, number in sorted(counts.items())
        )
        return response
