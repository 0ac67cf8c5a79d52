"""Loads a Tributary folder (a release or a pulled folder) with Hugging Face `datasets`, as a trainer does, and prints what it saw as JSON.

usage: python trainer-tools.py DIR [CONFIG ...]
       python trainer-tools.py --folders DIR...             (each folder's default config)
       python trainer-tools.py --mlcroissant MANIFEST...   (mlcroissant on the path)

Several folders or manifests go to one Python, which starts far slower than it reads them.
For the card's default config and each CONFIG: per split, the row count, every feature as
`datasets` typed it, and for each row with audio its key, the duration the row states and what
the stored WAV bytes decode to (sample rate, channels, seconds). Decoded with the standard
library's `wave`, so no audio codec package is needed.

With --folders: {DIR: the default config as above} for each DIR.
With --mlcroissant: {MANIFEST: what follows} for each MANIFEST, the records of the manifest's `default` record set as mlcroissant reads
them: how many, each field's Python type, and for audio the WAV bytes decoded as above.
"""
import io
import os
import json
import sys
import tempfile
import wave

import datasets


def feature(value):
    if isinstance(value, datasets.Audio):
        return {'type': 'Audio', 'sampling_rate': value.sampling_rate}
    if isinstance(value, datasets.Value):
        return {'type': 'Value', 'dtype': value.dtype}
    return {'type': type(value).__name__}


def describe(dataset_dict):
    result = {}
    for split, dataset in dataset_dict.items():
        table = dataset.data.table
        clips = []
        if 'audio' in table.column_names:
            for key, clip, duration in zip(table.column('key').to_pylist(), table.column('audio').to_pylist(), table.column('duration').to_pylist()):
                if clip is not None:  # a text record of a pulled folder that holds both modalities
                    clips.append(dict(wav(clip['bytes']), key=key, duration=duration))
        result[split] = {
            'num_rows': dataset.num_rows,
            'features': {name: feature(value) for name, value in dataset.features.items()},
            'clips': clips,
        }
    return result


def wav(data):
    with wave.open(io.BytesIO(data)) as w:
        return {'rate': w.getframerate(), 'channels': w.getnchannels(), 'seconds': w.getnframes() / w.getframerate()}


def read_with_mlcroissant(manifest):
    import mlcroissant as mlc
    dataset = mlc.Dataset(jsonld=manifest)
    records = list(dataset.records(record_set='default'))
    types = sorted({f'{name}:{type(value).__name__}' for record in records for name, value in record.items() if value is not None})
    clips = [dict(wav(record['default/audio']), duration=record['default/duration']) for record in records if isinstance(record.get('default/audio'), bytes)]
    return {'records': len(records), 'types': types, 'clips': clips}


def main():
    cache = tempfile.mkdtemp(prefix='tributary-hf-')
    if sys.argv[1] == '--mlcroissant':
        out = {manifest: read_with_mlcroissant(manifest) for manifest in sys.argv[2:]}
    elif sys.argv[1] == '--folders':
        out = {folder: describe(datasets.load_dataset(folder, cache_dir=cache)) for folder in sys.argv[2:]}
    else:
        folder = sys.argv[1]
        out = {'default': describe(datasets.load_dataset(folder, cache_dir=cache))}
        out['configs'] = {name: describe(datasets.load_dataset(folder, name, cache_dir=cache)) for name in sys.argv[2:]}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
    # Arrow's Parquet thread pool can abort the interpreter's shutdown after everything is done
    # ("terminate called without an active exception", apache/arrow#34314): leave without one.
    sys.stdout.flush()
    os._exit(0)
