"""Peer measurement with the official Python pulsar-client (libpulsar underneath).

Produce: N messages of SIZE bytes with batching, as fast as the client takes them, msg/s from
the first send to the last receipt. Consume: drain the same topic from the earliest message
with a fresh subscription, msg/s. Prints one JSON line.

Usage: python python_peer.py SERVICE_URL TOPIC N SIZE
"""
import json
import sys
import threading
import time

import pulsar


def main() -> None:
    url, topic, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    client = pulsar.Client(url, operation_timeout_seconds=60)
    producer = client.create_producer(
        topic,
        batching_enabled=True,
        batching_max_messages=1000,
        batching_max_allowed_size_in_bytes=128 * 1024,
        batching_max_publish_delay_ms=1,
        max_pending_messages=10_000,
        block_if_queue_full=True,
    )
    payload = b"a" * size
    done = threading.Event()
    acked = [0]
    lock = threading.Lock()

    def on_sent(res, _msg_id):
        with lock:
            acked[0] += 1
            if acked[0] == n:
                done.set()

    start = time.perf_counter()
    for _ in range(n):
        producer.send_async(payload, on_sent)
    producer.flush()
    if not done.wait(300):
        sys.exit(f"only {acked[0]} of {n} messages acknowledged")
    produce_s = time.perf_counter() - start
    producer.close()

    consumer = client.subscribe(topic, "python-peer", initial_position=pulsar.InitialPosition.Earliest, receiver_queue_size=1000)
    got = 0
    start = time.perf_counter()
    while got < n:
        msg = consumer.receive(timeout_millis=30_000)
        consumer.acknowledge(msg)
        got += 1
    consume_s = time.perf_counter() - start
    consumer.close()
    client.close()
    print(json.dumps({"produce_msgs": n / produce_s, "consume_msgs": n / consume_s, "version": pulsar.__version__ if hasattr(pulsar, "__version__") else "unknown"}))


if __name__ == "__main__":
    main()
