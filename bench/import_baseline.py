"""The plain baseline for `npm run bench:import`: Python's csv module + sqlite3 executemany + an
FTS5 index over the same rows, with the app's database settings (WAL, synchronous=NORMAL, one
transaction per file). It stores each CSV row's cells as they are (no label parsing, no post
extraction, no de-duplication, no secondary indexes) and indexes every row's text (the query, or
the post of completion files) with the same tokenizer as the app. Model-output files are read
and counted, not stored, as the app does.

usage: python3 bench/import_baseline.py FOLDER DBFILE  ->  prints one JSON line
"""
import csv
import json
import os
import sqlite3
import sys
import time

csv.field_size_limit(10**9)


def main():
    root, db_file = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    c0 = time.process_time()
    con = sqlite3.connect(db_file, isolation_level=None)
    con.execute('PRAGMA journal_mode = WAL')
    con.execute('PRAGMA synchronous = NORMAL')
    con.execute('CREATE TABLE rows (id INTEGER PRIMARY KEY, file TEXT NOT NULL, row INTEGER NOT NULL, text TEXT NOT NULL, c1 TEXT, c2 TEXT, c3 TEXT, c4 TEXT, c5 TEXT, c6 TEXT, c7 TEXT)')
    con.execute("CREATE VIRTUAL TABLE rows_fts USING fts5(text, content='rows', content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    files = []
    for d, _, names in os.walk(root):
        for n in names:
            if n.lower().endswith('.csv'):
                files.append(os.path.join(d, n))
    files.sort()
    stored = read = 0
    for f in files:
        rel = os.path.relpath(f, root).replace(os.sep, '/')
        with open(f, encoding='utf-8-sig', newline='') as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                continue
            if 'response_generation_examples' in rel:
                read += sum(1 for _ in reader)
                continue
            # The post (completion files) or the query (instruction files); an unnamed index column is skipped.
            names = [h.strip().lower() for h in header]
            col = names.index('post') if 'post' in names else names.index('text') if 'text' in names else (1 if names[0] in ('', 'unnamed: 0') else 0)

            def rows():
                for i, r in enumerate(reader, 1):
                    if not r:
                        continue
                    cells = (r + [None] * 7)[:7]
                    yield (rel, i, r[col], *cells)

            con.execute('BEGIN')
            before = con.total_changes
            con.executemany('INSERT INTO rows (file, row, text, c1, c2, c3, c4, c5, c6, c7) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', rows())
            n = con.total_changes - before
            con.execute('COMMIT')
            stored += n
            read += n
    con.execute('BEGIN')
    con.execute('INSERT INTO rows_fts (rowid, text) SELECT id, text FROM rows')
    con.execute('COMMIT')
    con.close()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    try:
        import resource
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except Exception:
        peak_mb = None
    print(json.dumps({'seconds': wall, 'cpu_seconds': cpu, 'rows_stored': stored, 'rows_read': read, 'peak_mb': peak_mb, 'sqlite': sqlite3.sqlite_version}))


if __name__ == '__main__':
    main()
