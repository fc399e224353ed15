"""Production settings plus a middleware that reports what each request cost,
for the several-node test (python -m bench.scale).

Nothing else differs from production: the nodes read the same environment
variables as deployed nodes do (bench.cluster sets them).
"""

from bench.settings import *  # noqa: F403
from bench.settings import MIDDLEWARE

MIDDLEWARE = ["bench.costs.CostMiddleware", *MIDDLEWARE]
