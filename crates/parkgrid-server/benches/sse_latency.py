"""From an MQTT publish to the dashboard's event stream: how long a measured value takes to
reach a client of `/api/v1/stream/latest`, through the broker, `serve`'s ingest (committed
before acknowledged), the store and the stream's one-second tick.

    cargo build --release -p parkgrid --features live
    python3 crates/parkgrid-server/benches/sse_latency.py [--seconds 60] [--load]

A fresh SQLite store and an operator token; `serve --mqtt 127.0.0.1:1883 --listen` on a free
loopback port; this script publishes a SenML record of `pv_roof/output_kw` every 1.3 s (QoS 1)
whose value is its own publish time in ms, and reads the stream, noting for every new value
the time it arrived minus the value. With --load, `parkgrid twin` publishes further days at
about 10,000 points/s meanwhile. Prints the count, p50, p95, p99 and max in seconds.

Needs: Mosquitto on 127.0.0.1:1883, paho-mqtt (pip).
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.join(REPO, "target", "release", "parkgrid")
PARK = os.path.join(REPO, "examples", "yanqing.toml")
SERIES = "yanqing/pv_roof/output_kw"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--load", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="parkgrid-sse-")
    db = f"sqlite:{work}/park.db"
    token = subprocess.run(
        [BIN, "token", "create", PARK, "--db", db, "--role", "operator"],
        check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    procs = [subprocess.Popen(
        [BIN, "serve", PARK, "--mqtt", "127.0.0.1:1883", "--db", db, "--listen",
         f"127.0.0.1:{port}", "--client-id", f"sse-bench-{os.getpid()}", "--api-rate", "1000",
         "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(2)
    if args.load:
        procs.append(subprocess.Popen(
            [BIN, "twin", PARK, "--mqtt", "127.0.0.1:1883", "--from", "2025-02-01", "--days",
             "300", "--step-min", "15", "--speed", "138000", "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    latencies = []
    stop = threading.Event()

    def publish():
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sse-pub-{os.getpid()}")
        client.connect("127.0.0.1", 1883)
        client.loop_start()
        while not stop.is_set():
            now = time.time()
            record = [{"bn": "yanqing/pv_roof/", "n": "output_kw", "t": now, "v": now * 1000.0}]
            client.publish("parkgrid/yanqing/pv_roof", json.dumps(record), qos=1).wait_for_publish()
            stop.wait(1.3)
        client.loop_stop()
        client.disconnect()

    def listen():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v1/stream/latest?seconds=3600",
                     headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.status
        seen = None
        buf = b""
        while not stop.is_set():
            chunk = resp.read1(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                lines = block.decode().split("\n")
                if "event: latest" not in lines:
                    continue
                data = "".join(l[5:].strip() for l in lines if l.startswith("data:"))
                arrived = time.time() * 1000.0
                for item in json.loads(data)["items"]:
                    if item["series"] == SERIES and item["value"] is not None:
                        if item["value"] != seen:
                            seen = item["value"]
                            latencies.append((arrived - seen) / 1000.0)

    def points():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/health")
        return json.loads(conn.getresponse().read())["ingest"]["points"]

    threads = [threading.Thread(target=listen, daemon=True), threading.Thread(target=publish)]
    for t in threads:
        t.start()
    before = points()
    time.sleep(args.seconds)
    ingest_rate = (points() - before) / args.seconds
    stop.set()
    threads[1].join()
    for p in procs:
        p.terminate()
        p.wait()
    # The first value may predate the stream's start; the rest are true deliveries.
    lat = sorted(latencies[1:])
    if len(lat) < 10:
        print(f"too few deliveries: {len(lat)}", file=sys.stderr)
        sys.exit(1)
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
    print(json.dumps({
        "load": args.load, "ingest_points_per_s": round(ingest_rate), "deliveries": len(lat),
        "p50_s": round(statistics.median(lat), 3), "p95_s": round(q(0.95), 3),
        "p99_s": round(q(0.99), 3), "max_s": round(lat[-1], 3)}))


if __name__ == "__main__":
    main()
