#!/usr/bin/env python3
"""PNG decoding against PIL, what torchvision's ImageFolder uses (`Image.open(f).convert('RGB')`,
or `.convert('L')` for greyscale), for test/data/formats-more.test.ts: small random PNGs of each
8-bit-or-less PNG kind PIL writes (RGB, RGBA, L, LA, palette, palette with transparency, 1-bit)
with PIL's RGB and L pixels. Writes test/fixtures/pil-png.json; run from the repo root:

    /usr/bin/python3 tools/pil-png-fixtures.py

(16-bit greyscale is left out on purpose: PIL opens it as mode 'I' and clips it to 255 when
converting, while tfjax scales 0..65535 to 0..255.)
"""
import base64
import io
import json

import numpy as np
from PIL import Image

rng = np.random.default_rng(0)
rgb = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
alpha = rng.integers(0, 256, (3, 4, 1), dtype=np.uint8)
palette = Image.fromarray(rgb).convert('P', palette=Image.ADAPTIVE, colors=8)
images = {
    'rgb': (Image.fromarray(rgb), {}),
    'rgba': (Image.fromarray(np.concatenate([rgb, alpha], -1)), {}),
    'l': (Image.fromarray(rgb[..., 0]), {}),
    'la': (Image.fromarray(np.stack([rgb[..., 0], rgb[..., 1]], -1), mode='LA'), {}),
    'palette': (palette, {}),
    'palette-trns': (palette, {'transparency': 0}),
    'bilevel': (Image.fromarray(rgb[..., 0] > 128), {}),
}
out = {}
for name, (im, options) in images.items():
    buf = io.BytesIO()
    im.save(buf, format='PNG', **options)
    data = buf.getvalue()
    back = Image.open(io.BytesIO(data))
    out[name] = {
        'mode': back.mode,
        'height': back.height,
        'width': back.width,
        'png': base64.b64encode(data).decode(),
        'rgb': np.asarray(back.convert('RGB')).reshape(-1).tolist(),
        'l': np.asarray(Image.open(io.BytesIO(data)).convert('L')).reshape(-1).tolist(),
    }
with open('test/fixtures/pil-png.json', 'w') as f:
    json.dump(out, f, separators=(',', ':'))
    f.write('\n')
print({k: v['mode'] for k, v in out.items()})
