"""The peer of benches/ingest.rs: an MQTT subscriber in Python (paho-mqtt 2, the reference
client) storing SenML packs into SQLite (Python's sqlite3, WAL, synchronous=FULL) and
acknowledging each message only after its commit, as parkgrid's ingester does.

python3 peer_ingest.py HOST PORT TOPIC DB POINTS -> prints "points N commits C p50_ms .. p99_ms .. max_ms .."
"""
import json
import sqlite3
import sys
import time

import paho.mqtt.client as mqtt

host, port, topic, db, total = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=FULL")
conn.execute(
    "CREATE TABLE IF NOT EXISTS points (series TEXT NOT NULL, time_ms INTEGER NOT NULL, value REAL, "
    "PRIMARY KEY (series, time_ms)) WITHOUT ROWID"
)
pending, rows, latencies = [], [], []
stored = commits = 0


def on_connect(client, userdata, flags, reason, properties):
    client.subscribe(topic, qos=1)


def on_message(client, userdata, msg):
    for r in json.loads(msg.payload):
        rows.append((r["n"], int(r["t"] * 1000), r["v"]))
    pending.append(msg)


client = mqtt.Client(
    mqtt.CallbackAPIVersion.VERSION2, client_id="peer-ingest", clean_session=False, manual_ack=True
)
client.max_inflight_messages_set(1000)
client.on_connect = on_connect
client.on_message = on_message
client.connect(host, port, keepalive=10)
deadline = time.time() + 600
while stored < total and time.time() < deadline:
    # Take what has come (up to 1,000 messages or 20 ms) and commit it in one transaction.
    t0, before = time.time(), -1
    while len(pending) != before and len(pending) < 1000 and time.time() - t0 < 0.02:
        before = len(pending)
        client.loop(timeout=0.005 if not pending else 0.001)
    if pending:
        conn.execute("BEGIN")
        conn.executemany("INSERT OR IGNORE INTO points VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
        now = time.time() * 1000.0
        latencies.extend(now - r[2] for r in rows)
        stored += len(rows)
        commits += 1
        for m in pending:
            client.ack(m.mid, m.qos)
        pending.clear()
        rows.clear()
for _ in range(20):
    client.loop(timeout=0.01)
client.disconnect()
latencies.sort()


def pct(q):
    return latencies[round((len(latencies) - 1) * q)] if latencies else float("nan")


print(f"points {stored} commits {commits} p50_ms {pct(0.5):.1f} p99_ms {pct(0.99):.1f} max_ms {pct(1.0):.1f}")
