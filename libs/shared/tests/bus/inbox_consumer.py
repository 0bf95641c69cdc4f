"""A consumer process for test_kill_consumer: one transaction writes an inbox row and an effect.

The event id goes into `<tables>_inbox` (a second delivery of it does nothing) together with a
row in `<tables>_effects`. With --stall the handler writes `stalled <event id>` on stdout and
then hangs inside that transaction, so the test can kill the process in the middle of a message.
URLs come from BUS_TEST_AMQP_URL and BUS_TEST_DATABASE_URL, to keep credentials out of argv.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import asyncpg

from finhub_shared.bus import Consumer, ConsumerQueue, run_consumers
from finhub_shared.events import EventEnvelope


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--binding-key", required=True)
    parser.add_argument("--retry-delay", type=float, action="append", required=True)
    parser.add_argument("--tables", required=True, help="prefix of the _inbox and _effects tables")
    parser.add_argument("--stall", action="store_true", help="hang inside the first transaction")
    return parser.parse_args()


async def main(arguments: argparse.Namespace) -> None:
    pool = await asyncpg.create_pool(os.environ["BUS_TEST_DATABASE_URL"], min_size=1, max_size=4)
    inbox, effects = f"{arguments.tables}_inbox", f"{arguments.tables}_effects"

    async def record_payment(envelope: EventEnvelope) -> None:
        async with pool.acquire() as connection, connection.transaction():
            first_delivery = await connection.fetchval(
                f"INSERT INTO {inbox} (event_id) VALUES ($1) "
                "ON CONFLICT DO NOTHING RETURNING event_id",
                envelope.id,
            )
            if first_delivery is None:
                return
            await connection.execute(
                f"INSERT INTO {effects} (event_id, amount_cents) VALUES ($1, $2)",
                envelope.id,
                envelope.data["amount_cents"],
            )
            if arguments.stall:
                sys.stdout.write(f"stalled {envelope.id}\n")
                sys.stdout.flush()
                await asyncio.Event().wait()

    queue = ConsumerQueue(arguments.queue, (arguments.binding_key,), tuple(arguments.retry_delay))
    consumer = Consumer(os.environ["BUS_TEST_AMQP_URL"], queue, record_payment, prefetch=4)
    try:
        await run_consumers(consumer)
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main(parse_arguments()))
