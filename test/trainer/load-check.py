"""Loads a folder written by `tributary pull` the way trainers do, and prints what each tool saw as JSON.

usage: python load-check.py DIR [CONFIG ...]

- duckdb: count(*) over data/*.parquet, per split, and every key (read by column name, since
  speech and text shards have different columns);
- default: load_dataset(DIR), the card's `default` config: per split, rows, features and for every
  row its key, the sha256 of its audio bytes and its text;
- configs: the same for load_dataset(DIR, CONFIG) for each CONFIG given.
Audio is read as the stored bytes (no decoding), so no audio codec library is needed.
"""
import glob
import hashlib
import json
import os
import sys
import tempfile

import datasets
import duckdb


def describe(dataset_dict):
    result = {}
    for split, dataset in dataset_dict.items():
        table = dataset.data.table
        keys = table.column('key').to_pylist()
        audio = table.column('audio').to_pylist() if 'audio' in table.column_names else [None] * len(keys)
        text = table.column('text').to_pylist() if 'text' in table.column_names else [None] * len(keys)
        result[split] = {
            'num_rows': dataset.num_rows,
            'features': {name: type(feature).__name__ for name, feature in dataset.features.items()},
            'rows': [
                {'key': key, 'audio': hashlib.sha256(clip['bytes']).hexdigest() if clip else None, 'text': words}
                for key, clip, words in zip(keys, audio, text)
            ],
        }
    return result


def main():
    folder = sys.argv[1]
    configs = sys.argv[2:]
    data = os.path.join(folder, 'data')
    splits = sorted({os.path.basename(path).split('-')[0] for path in glob.glob(os.path.join(data, '*.parquet'))})
    connection = duckdb.connect()
    out = {
        'duckdb': {
            'count': connection.sql(f"SELECT count(*) FROM '{data}/*.parquet'").fetchone()[0],
            'splits': {
                split: connection.sql(f"SELECT count(*) FROM '{data}/{split}-*.parquet'").fetchone()[0] for split in splits
            },
            'keys': sorted(row[0] for row in connection.sql(
                f"SELECT key FROM read_parquet('{data}/*.parquet', union_by_name = true)").fetchall()),
        }
    }
    cache = tempfile.mkdtemp(prefix='tributary-hf-')
    out['default'] = describe(datasets.load_dataset(folder, cache_dir=cache))
    out['configs'] = {name: describe(datasets.load_dataset(folder, name, cache_dir=cache)) for name in configs}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
    # Arrow's Parquet thread pool can abort the interpreter's shutdown after everything is done
    # ("terminate called without an active exception", apache/arrow#34314): leave without one.
    sys.stdout.flush()
    os._exit(0)
