"""The peer of benches/write.rs: Python's sqlite3 (the same SQLite engine, its C loop) writing the
same points with the same schema, upsert, WAL and synchronous=FULL, in the same batches.

    python3 crates/parkgrid-store/benches/peer_write.py [POINTS] [BATCH]
"""
import os
import sqlite3
import sys
import tempfile
import time

total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
path = os.path.join(tempfile.mkdtemp(), "peer.sqlite")
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA foreign_keys=ON")
db.executescript("""
CREATE TABLE series (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, asset TEXT NOT NULL,
                     quantity TEXT NOT NULL, unit TEXT NOT NULL);
CREATE TABLE points (series_id INTEGER NOT NULL REFERENCES series(id), time_ms INTEGER NOT NULL,
                     value REAL, quality INTEGER NOT NULL, seq INTEGER NOT NULL,
                     PRIMARY KEY (series_id, time_ms)) WITHOUT ROWID;
""")
for k in range(1000):
    db.execute("INSERT INTO series (name, asset, quantity, unit) VALUES (?, ?, 'p_kw', 'kW')",
               (f"bench/asset{k}/p_kw", f"asset{k}"))
ids = [r[0] for r in db.execute("SELECT id FROM series ORDER BY id")]
sql = """INSERT INTO points (series_id, time_ms, value, quality, seq) VALUES (?, ?, ?, 0, ?)
         ON CONFLICT(series_id, time_ms) DO UPDATE
         SET value = excluded.value, quality = excluded.quality, seq = excluded.seq
         WHERE excluded.seq > points.seq"""
start = time.perf_counter()
rows = []
for i in range(total):
    step = i // len(ids)
    rows.append((ids[i % len(ids)], 1_735_689_600_000 + step * 60_000, (i % 997) * 0.5, step))
    if len(rows) == batch or i + 1 == total:
        db.execute("BEGIN")
        db.executemany(sql, rows)
        db.execute("COMMIT")
        rows.clear()
s = time.perf_counter() - start
print(f"{total} points in batches of {batch}: {s:.2f} s, {total / s:.0f} points/s (python sqlite3 {sqlite3.sqlite_version})")
