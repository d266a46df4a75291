"""Reference numbers for test/data/augment-session14.test.ts: torchvision's tensor
augmentations (v0.17+ semantics: antialias=True by default) on float images in [0, 1],
computed with torch 1.13 (torchvision is not installed here, so its functional tensor ops
are re-derived below from their documented formulas in torchvision/transforms/
_functional_tensor.py; the resampling itself is torch's own F.interpolate).

Images are channels-first here (torch) and channels-last in the JSON (tfjax).
Values are rounded to 6 decimals (resize_u8: 4). Run: /usr/bin/python3 tools/augment_session14.py > test/fixtures/augment_session14.json
"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(14)


def nhwc(x):
    return [round(float(v), 6) for v in x.permute(0, 2, 3, 1).reshape(-1).tolist()]


def rgb_to_grayscale(img):  # ITU-R 601-2 luma
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(dim=-3)


def blend(img1, img2, ratio):
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, 1)


def adjust_brightness(img, f):
    return blend(img, torch.zeros_like(img), f)


def adjust_contrast(img, f):
    gray = rgb_to_grayscale(img) if img.shape[-3] == 3 else img
    mean = torch.mean(gray, dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, f)


def adjust_saturation(img, f):
    if img.shape[-3] == 1:
        return img
    return blend(img, rgb_to_grayscale(img), f)


def rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    crd = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32) % 6
    p = (v * (1.0 - s)).clamp(0, 1)
    q = (v * (1.0 - s * f)).clamp(0, 1)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0, 1)
    mask = (i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)).to(img.dtype)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask, a4)


def adjust_hue(img, f):
    if img.shape[-3] == 1:
        return img
    hsv = rgb2hsv(img)
    h, s, v = hsv.unbind(dim=-3)
    h = (h + f) % 1.0
    return hsv2rgb(torch.stack((h, s, v), dim=-3))


def gaussian_kernel1d(k, sigma):
    half = (k - 1) * 0.5
    x = torch.linspace(-half, half, steps=k)
    pdf = torch.exp(-0.5 * (x / sigma).pow(2))
    return pdf / pdf.sum()


def gaussian_blur(img, k, sigma):
    k1 = gaussian_kernel1d(k, sigma)
    k2 = torch.mm(k1[:, None], k1[None, :])
    c = img.shape[-3]
    w = k2.expand(c, 1, k, k)
    x = F.pad(img, [k // 2] * 4, mode="reflect")
    return F.conv2d(x, w, groups=c)


def solarize(img, t):
    return torch.where(img >= t, 1.0 - img, img)


def normalize(img, mean, std):
    m = torch.tensor(mean).view(-1, 1, 1)
    s = torch.tensor(std).view(-1, 1, 1)
    return (img - m) / s


def resize(img, size, mode, antialias):
    return F.interpolate(img, size=size, mode=mode, align_corners=False, antialias=antialias)


def fallback_box(height, width, ratio):
    """RandomResizedCrop.get_params' central crop, when none of the 10 attempts fits."""
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w = width
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = height
        w = int(round(h * max(ratio)))
    else:
        w, h = width, height
    return [(height - h) // 2, (width - w) // 2, h, w]


out = {}

rgb = torch.rand(2, 3, 7, 6)
gray = torch.rand(2, 1, 7, 6)
out["rgb"] = {"shape": [2, 7, 6, 3], "data": nhwc(rgb)}
out["gray"] = {"shape": [2, 7, 6, 1], "data": nhwc(gray)}

# Colour parts with one factor per sample.
factors = {"brightness": [0.3, 1.7], "contrast": [0.2, 1.8], "saturation": [0.0, 1.9], "hue": [-0.5, 0.13]}
fns = {"brightness": adjust_brightness, "contrast": adjust_contrast, "saturation": adjust_saturation, "hue": adjust_hue}
color = {}
for name, fs in factors.items():
    color[name] = {"factors": fs, "rgb": nhwc(torch.cat([fns[name](rgb[i : i + 1], fs[i]) for i in range(2)]))}
    if name in ("brightness", "contrast"):  # saturation and hue are identities on gray images
        color[name]["gray"] = nhwc(torch.cat([fns[name](gray[i : i + 1], fs[i]) for i in range(2)]))
out["color"] = color
hsv = rgb2hsv(rgb)
out["hsv"] = nhwc(hsv)
# ColorJitter's composition, one order per sample (torch.randperm(4) in torchvision).
orders = [[3, 0, 2, 1], [1, 2, 3, 0]]
names = ["brightness", "contrast", "saturation", "hue"]
jf = [[1.2, 0.7, 1.5, 0.1], [0.6, 1.3, 0.4, -0.2]]
jit = []
for i in range(2):
    y = rgb[i : i + 1]
    for p in orders[i]:
        y = fns[names[p]](y, jf[i][p])
    jit.append(y)
out["jitter"] = {"orders": orders, "factors": jf, "rgb": nhwc(torch.cat(jit))}

out["grayscale"] = nhwc(rgb_to_grayscale(rgb).expand(-1, 3, -1, -1))
out["solarize"] = {"threshold": 0.4, "rgb": nhwc(solarize(rgb, 0.4))}
out["normalize"] = {"mean": [0.485, 0.456, 0.406], "std": [0.228, 0.224, 0.225], "rgb": nhwc(normalize(rgb, [0.485, 0.456, 0.406], [0.228, 0.224, 0.225]))}

blur = []
for k, sigmas in [(3, [0.1, 2.0]), (5, [0.5, 1.3])]:
    y = torch.cat([gaussian_blur(rgb[i : i + 1], k, sigmas[i]) for i in range(2)])
    blur.append({"k": k, "sigmas": sigmas, "rgb": nhwc(y)})
out["blur"] = blur

# Crop boxes [top, left, h, w] then resize: torchvision's resized_crop = crop, then resize.
crops = []
for box, size in [([0, 0, 7, 6], [3, 2]), ([1, 1, 5, 5], [2, 3]), ([2, 1, 3, 4], [6, 7]), ([0, 0, 7, 6], [4, 8]), ([3, 0, 4, 6], [2, 6])]:
    t, l, h, w = box
    c = rgb[:1, :, t : t + h, l : l + w]
    e = {"box": box, "size": size}
    for mode in ["bilinear", "bicubic"]:
        for aa in [True, False]:
            e[f"{mode}_{'aa' if aa else 'noaa'}"] = nhwc(resize(c, size, mode, aa))
    crops.append(e)
out["crops"] = crops

out["fallback"] = [
    {"hw": hw, "ratio": r, "box": fallback_box(hw[0], hw[1], r)}
    for hw, r in [([20, 5], [0.4, 1.0]), ([5, 20], [1.0, 2.5]), ([10, 30], [0.75, 4 / 3]), ([30, 10], [0.75, 4 / 3]), ([12, 10], [0.75, 4 / 3]), ([28, 28], [0.75, 4 / 3]), ([7, 3], [0.5, 1.0]), ([3, 9], [1.0, 2.5])]
]

# uint8 resize (lib/data/resize.ts): torch on the bytes as floats (before rounding).
u8 = torch.randint(0, 256, (1, 2, 9, 8)).to(torch.float32)
rs = {"src": [int(v) for v in u8.permute(0, 2, 3, 1).reshape(-1).tolist()], "hw": [9, 8], "cases": []}
for size in [[4, 3], [11, 10], [3, 13]]:
    e = {"size": size}
    for aa in [True, False]:
        y = resize(u8, size, "bilinear", aa)
        e["aa" if aa else "noaa"] = [round(float(v), 4) for v in y.permute(0, 2, 3, 1).reshape(-1).tolist()]
    rs["cases"].append(e)
out["resize_u8"] = rs

print(json.dumps(out, separators=(",", ":")))
