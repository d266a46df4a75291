"""Reference numbers for test/nn/torch-modules-session15.test.ts (PyTorch 1.13, float32, fixed seed):
torch.nn modules that tfjax's nn lacked before session 15 — RNN / LSTM (proj_size) / GRU over whole
sequences (num_layers, bidirectional, batch_first, bias, h0 / c0), RNNCell, TransformerEncoderLayer,
TransformerDecoderLayer, TransformerEncoder, the padding layers, Bilinear, CosineSimilarity,
PairwiseDistance, Softmax2d, Hardshrink / Softshrink / Tanhshrink / Threshold / Softmin.

Run: /usr/bin/python3 tools/torch_modules_session15.py  (writes test/fixtures/nn_modules_rnn_session15.json,
nn_modules_transformer_session15.json and nn_modules_misc_session15.json).
Every module's parameters are redrawn from randn * 0.5 (no zero biases) and stored as inputs under their
state-dict names; the gradients (of sum(out * cos(0.37 i + 0.1))) cover the inputs and the parameters.
Modules run in eval mode (dropout off). The recurrent cases' `out` is output, h_n (and c_n) flattened
and concatenated. Images are channels-first as PyTorch takes them.
"""
import json, os
import torch
import torch.nn as nn
from torch_fixture_helpers import grads_of, shaped

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.manual_seed(15)
gen = torch.Generator().manual_seed(15)
randn = lambda *s: torch.randn(*s, generator=gen)


def module_case(cases, name, m, inputs, call, masks=None, extra=None):
    """m in eval mode with redrawn parameters; call(m, **inputs, **masks) -> y; grads for inputs and parameters."""
    m.eval()
    ps = dict(m.named_parameters())
    with torch.no_grad():
        for v in ps.values():
            v.copy_(randn(*v.shape) * 0.5)
    ins = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    named = {**ins, **ps}
    y = call(m, **ins, **(masks or {}))
    c = {'inputs': {k: shaped(v) for k, v in {**named, **(masks or {})}.items()}, 'out': shaped(y), 'grads': grads_of(y, named, shaped)}
    if extra:
        c.update(extra)
    cases[name] = c


def flat_cat(*ts):
    return torch.cat([t.reshape(-1) for t in ts])


def save(cases, file):
    with open(os.path.join(here, file), 'w') as f:
        json.dump(cases, f, separators=(',', ':'))
    print(file, os.path.getsize(os.path.join(here, file)), 'bytes')


# ---------------------------------------------------------------- recurrent
rnn = {}
lstm_call = lambda f, x, h0=None, c0=None: (lambda o: flat_cat(o[0], o[1][0], o[1][1]))(f(x) if h0 is None else f(x, (h0, c0)))
h_call = lambda f, x, h0=None: (lambda o: flat_cat(o[0], o[1]))(f(x) if h0 is None else f(x, h0))
module_case(rnn, 'lstm_basic', nn.LSTM(3, 4), {'x': randn(4, 2, 3)}, lstm_call)
module_case(rnn, 'lstm_2l_bi_bf', nn.LSTM(3, 3, num_layers=2, bidirectional=True, batch_first=True, dropout=0.3),
            {'x': randn(2, 4, 3), 'h0': randn(4, 2, 3), 'c0': randn(4, 2, 3)}, lstm_call)
module_case(rnn, 'lstm_proj_bi', nn.LSTM(3, 5, proj_size=2, bidirectional=True), {'x': randn(4, 2, 3), 'h0': randn(2, 2, 2), 'c0': randn(2, 2, 5)}, lstm_call)
module_case(rnn, 'lstm_unbatched_nobias', nn.LSTM(3, 4, bias=False), {'x': randn(4, 3), 'h0': randn(1, 4), 'c0': randn(1, 4)}, lstm_call)
module_case(rnn, 'gru_2l_bi', nn.GRU(3, 3, num_layers=2, bidirectional=True), {'x': randn(4, 2, 3), 'h0': randn(4, 2, 3)}, h_call)
module_case(rnn, 'gru_bf_nobias', nn.GRU(3, 4, bias=False, batch_first=True), {'x': randn(2, 4, 3)}, h_call)
module_case(rnn, 'rnn_tanh_2l', nn.RNN(3, 4, num_layers=2), {'x': randn(4, 2, 3), 'h0': randn(2, 2, 4)}, h_call)
module_case(rnn, 'rnn_relu_bi', nn.RNN(3, 4, nonlinearity='relu', bidirectional=True, batch_first=True), {'x': randn(2, 4, 3)}, h_call)
save(rnn, 'nn_modules_rnn_session15.json')

# ---------------------------------------------------------------- transformer
tr = {}
E, H, FF = 4, 2, 6
kpm = torch.tensor([[False, False, False], [False, False, True]])
module_case(tr, 'enc_post_kpm', nn.TransformerEncoderLayer(E, H, FF), {'x': randn(3, 2, E)},
            lambda f, x, kpm: f(x, src_key_padding_mask=kpm), masks={'kpm': kpm})
causal = nn.Transformer.generate_square_subsequent_mask(3)
module_case(tr, 'enc_pre_gelu_causal_bf', nn.TransformerEncoderLayer(E, H, FF, activation='gelu', batch_first=True, norm_first=True, layer_norm_eps=1e-3),
            {'x': randn(2, 3, E)}, lambda f, x: f(x, src_mask=causal))
module_case(tr, 'enc_float_mask_unbatched', nn.TransformerEncoderLayer(E, H, FF), {'x': randn(3, E)},
            lambda f, x, m: f(x, src_mask=m), masks={'m': randn(3, 3)})
module_case(tr, 'dec_post_bf', nn.TransformerDecoderLayer(E, H, FF, batch_first=True), {'x': randn(2, 3, E), 'memory': randn(2, 4, E)},
            lambda f, x, memory, mkpm: f(x, memory, tgt_mask=causal, memory_key_padding_mask=mkpm),
            masks={'mkpm': torch.tensor([[False, False, True, True], [False, False, False, False]])})
module_case(tr, 'dec_pre', nn.TransformerDecoderLayer(E, H, FF, norm_first=True), {'x': randn(3, 2, E), 'memory': randn(4, 2, E)},
            lambda f, x, memory: f(x, memory))
module_case(tr, 'encoder_2_norm', nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, batch_first=True), 2, norm=nn.LayerNorm(E)),
            {'x': randn(2, 3, E)}, lambda f, x, kpm: f(x, src_key_padding_mask=kpm), masks={'kpm': kpm})
save(tr, 'nn_modules_transformer_session15.json')

# ---------------------------------------------------------------- padding, two-input modules, activations
misc = {}
img = randn(2, 2, 3, 4)
module_case(misc, 'constant_pad2d', nn.ConstantPad2d((1, 2, 0, 3), 0.5), {'x': img}, lambda f, x: f(x))
module_case(misc, 'zero_pad2d_crop', nn.ZeroPad2d((-1, 2, 1, 0)), {'x': img}, lambda f, x: f(x))
module_case(misc, 'constant_pad1d', nn.ConstantPad1d(2, -1.0), {'x': randn(2, 3, 4)}, lambda f, x: f(x))
module_case(misc, 'constant_pad3d', nn.ConstantPad3d((1, 0, 0, 1, 1, 0), 2.0), {'x': randn(1, 2, 2, 2, 3)}, lambda f, x: f(x))
module_case(misc, 'reflection_pad1d', nn.ReflectionPad1d((2, 1)), {'x': randn(2, 3, 4)}, lambda f, x: f(x))
module_case(misc, 'reflection_pad2d', nn.ReflectionPad2d((1, 3, 2, 0)), {'x': img}, lambda f, x: f(x))
module_case(misc, 'reflection_pad3d', nn.ReflectionPad3d(1), {'x': randn(1, 2, 2, 3, 3)}, lambda f, x: f(x))
module_case(misc, 'replication_pad1d', nn.ReplicationPad1d((3, 1)), {'x': randn(2, 3, 4)}, lambda f, x: f(x))
module_case(misc, 'replication_pad2d', nn.ReplicationPad2d((2, 0, 1, 3)), {'x': img}, lambda f, x: f(x))
module_case(misc, 'replication_pad3d', nn.ReplicationPad3d((1, 0, 2, 1, 0, 1)), {'x': randn(1, 2, 2, 2, 3)}, lambda f, x: f(x))
module_case(misc, 'reflection_pad2d_unbatched', nn.ReflectionPad2d(1), {'x': randn(2, 3, 3)}, lambda f, x: f(x))
module_case(misc, 'bilinear', nn.Bilinear(3, 2, 4), {'x1': randn(5, 3), 'x2': randn(5, 2)}, lambda f, x1, x2: f(x1, x2))
module_case(misc, 'cosine_similarity', nn.CosineSimilarity(), {'x1': randn(4, 5), 'x2': randn(4, 5)}, lambda f, x1, x2: f(x1, x2))
module_case(misc, 'pairwise_distance_p1_keepdim', nn.PairwiseDistance(p=1, keepdim=True), {'x1': randn(4, 5), 'x2': randn(4, 5)}, lambda f, x1, x2: f(x1, x2))
module_case(misc, 'softmax2d', nn.Softmax2d(), {'x': img}, lambda f, x: f(x))
x = randn(3, 5) * 2
module_case(misc, 'hardshrink', nn.Hardshrink(0.7), {'x': x}, lambda f, x: f(x))
module_case(misc, 'softshrink', nn.Softshrink(0.3), {'x': x}, lambda f, x: f(x))
module_case(misc, 'tanhshrink', nn.Tanhshrink(), {'x': x}, lambda f, x: f(x))
module_case(misc, 'threshold', nn.Threshold(0.1, 20.0), {'x': x}, lambda f, x: f(x))
module_case(misc, 'softmin', nn.Softmin(dim=1), {'x': x}, lambda f, x: f(x))
module_case(misc, 'rnncell_tanh', nn.RNNCell(3, 4), {'x': randn(2, 3), 'h': randn(2, 4)}, lambda f, x, h: f(x, h))
module_case(misc, 'rnncell_relu', nn.RNNCell(3, 4, nonlinearity='relu'), {'x': randn(2, 3), 'h': randn(2, 4)}, lambda f, x, h: f(x, h))
save(misc, 'nn_modules_misc_session15.json')
