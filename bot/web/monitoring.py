"""Prometheus metrics of one app, in the app's own registry (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

OUTCOMES = ("answer", "clarify", "handoff", "notice", "silent")


class WebMetrics:
    """Questions by outcome, answer latency, queue length and overdue tickets."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "faqbot_questions",
            "Questions asked through the web API, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.questions.labels(outcome=outcome)
        self.latency = Histogram(
            "faqbot_answer_seconds",
            "Time to answer a question through the web API.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.queue_length = Gauge(
            "faqbot_queue_length", "Tickets waiting to be taken.", registry=self.registry
        )
        self.overdue = Gauge(
            "faqbot_overdue_tickets",
            "Open tickets past their promised answer time.",
            registry=self.registry,
        )
        self.database_up = Gauge(
            "faqbot_database_up",
            "1 when the database answered this scrape, 0 when it did not "
            "(the queue gauges are then NaN).",
            registry=self.registry,
        )
