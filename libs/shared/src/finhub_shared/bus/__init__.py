"""The message bus: events on `finhub.events`, published with confirms, consumed with retries.

Publishing (the outbox relay, mostly)::

    publisher = Publisher(settings.amqp_url.get_secret_value())
    await publisher.connect()  # in the lifespan
    await publisher.publish_envelope(envelope)  # returns once confirmed, else PublishError
    await publisher.close()

Consuming: a service's `worker` process declares one ConsumerQueue per purpose and runs a
Consumer for each until SIGTERM or SIGINT, when they finish the messages in hand::

    BILLING_STRIPE = ConsumerQueue("billing.stripe", binding_keys=("stripe.#",))

    async def handle_stripe_event(envelope: EventEnvelope) -> None:
        async with database.transaction() as session:  # commits before returning
            ...

    asyncio.run(run_consumers(Consumer(amqp_url, BILLING_STRIPE, handle_stripe_event)))

A handler that raises is retried after 1 s, 10 s, 60 s and 600 s (`retry_delays_seconds`),
then its message is parked in `<queue>.dlq`; a message that is not a valid envelope goes there
at once, and so does one whose handler raises `Refused`. `dead_letters` lists, inspects,
replays and drops parked messages. What became of each provider event on each queue (handled,
retrying, dead-lettered, ignored, replayed, dropped) is reported on `bus.outcome` (`outcomes`).
"""

from finhub_shared.bus.consumer import Consumer, MessageHandler, run_consumers
from finhub_shared.bus.dead_letters import (
    DeadLetter,
    drop,
    list_dead_letter_queues,
    peek,
    replay,
)
from finhub_shared.bus.errors import PublishError, Refused
from finhub_shared.bus.publisher import Publisher
from finhub_shared.bus.topology import (
    ConsumerQueue,
    dead_letter_queue_name,
    declare_consumer_queue,
    declare_exchange,
    delete_consumer_queue,
    retry_queue_name,
)

__all__ = [
    "Consumer",
    "ConsumerQueue",
    "DeadLetter",
    "MessageHandler",
    "PublishError",
    "Publisher",
    "Refused",
    "dead_letter_queue_name",
    "declare_consumer_queue",
    "declare_exchange",
    "delete_consumer_queue",
    "drop",
    "list_dead_letter_queues",
    "peek",
    "replay",
    "retry_queue_name",
    "run_consumers",
]
