"""Shared by the reference scripts: a plain numpy reader for CTranslate2 v6 model.bin files."""
import struct
from pathlib import Path

import numpy as np


def read_ct2(path: Path) -> dict:
    """A plain numpy CTranslate2 v6 reader, the inverse of ModelSpec._serialize."""
    data = path.read_bytes()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def string():
        nonlocal pos
        n = take("H")
        s = data[pos:pos + n - 1].decode()
        pos += n
        return s

    dtypes = [np.float32, np.int8, np.int16, np.int32, np.float16, None]
    assert take("I") == 6
    spec, revision, count = string(), take("I"), take("I")
    variables = {}
    for _ in range(count):
        name = string()
        rank = take("B")
        shape = [take("I") for _ in range(rank)]
        type_id, nbytes = take("B"), take("I")
        variables[name] = np.frombuffer(data, dtype=dtypes[type_id], count=nbytes // np.dtype(dtypes[type_id]).itemsize,
                                        offset=pos).reshape(shape)
        pos += nbytes
    aliases = {string(): string() for _ in range(take("I"))}
    return {"spec": spec, "revision": revision, "variables": variables, "aliases": aliases}
