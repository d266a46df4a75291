"""Python's math.erf and math.erfc (double precision) at 400 points, for checking the float64 erf that
test/ops/erf.test.ts measures float32 errors against, and lax.erfc's tail. Run: /usr/bin/python3 tools/erf-reference.py"""
import json, math
import numpy as np

# float32 values, so a float32 function is judged at exactly the point its input holds.
xs = sorted(set([float(np.float32(v)) for v in np.concatenate([np.geomspace(1e-30, 1, 150), np.linspace(0, 6, 200), np.geomspace(6, 30, 50)])]))
xs = xs + [-x for x in xs[::7]]
with open('test/fixtures/erf-reference.json', 'w') as f:
    json.dump({'source': 'python math.erf', 'x': xs, 'erf': [math.erf(x) for x in xs], 'erfc': [math.erfc(x) for x in xs]}, f)
