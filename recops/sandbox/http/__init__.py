"""The sandbox's HTTP machinery, independent of any endpoint: the wire (requests, replies,
safe path splitting, JSON), the route-table machinery (planes, ``Route``, ``RouteTable``,
the ``Row`` a service declares), the pipeline of steps, the rate limiter and fault injection.

Imports: ``sandbox.model`` only. The endpoints themselves live in ``sandbox.services``,
``sandbox.control`` and ``sandbox.room``; ``sandbox.app`` puts them together.
"""
