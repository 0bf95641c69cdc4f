"""The chaos suite: the whole system under supervisord, its journeys walked while faults hit it.

Modules: infra (private PostgreSQL and RabbitMQ), system (processes, settings, readiness),
journeys, faults, measures, report, run (one row per fault).
"""
