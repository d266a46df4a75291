"""Reference numbers for test/data/torchvision-session15.test.ts: torchvision 0.14's
functional tensor maths (torchvision/transforms/functional_tensor.py) for the transforms
tfjax added in session 15 (adjust_sharpness, autocontrast, posterize, equalize, resize).
torchvision is not installed here, so the formulas are transcribed below onto torch 1.13
(the resize is torch's own F.interpolate, as torchvision >= 0.17 calls it, antialias=True).

Images are uint8 bytes / 255 (what ToTensor gives), channels-first here and channels-last
in the JSON. Run: /usr/bin/python3 tools/torchvision_session15.py > test/fixtures/torchvision_session15.json
"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(15)


def nhwc(x, nd=6):
    return [round(float(v), nd) for v in x.permute(0, 2, 3, 1).reshape(-1).tolist()]


def blend(img1, img2, ratio):
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, 1.0)


def blurred_degenerate(img):  # _blurred_degenerate_image
    kernel = torch.ones((3, 3), dtype=img.dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    kernel = kernel.expand(img.shape[-3], 1, 3, 3)
    tmp = F.conv2d(img, kernel, groups=img.shape[-3])
    out = img.clone()
    out[..., 1:-1, 1:-1] = tmp
    return out


def adjust_sharpness(img, f):
    if img.size(-1) <= 2 or img.size(-2) <= 2:
        return img
    return blend(img, blurred_degenerate(img), f)


def autocontrast(img):
    bound = 1.0
    minimum = img.amin(dim=(-2, -1), keepdim=True)
    maximum = img.amax(dim=(-2, -1), keepdim=True)
    scale = bound / (maximum - minimum)
    eq = torch.isfinite(scale).logical_not()
    minimum[eq] = 0
    scale[eq] = 1
    return ((img - minimum) * scale).clamp(0, bound)


def posterize(img_u8, bits):
    mask = -int(2 ** (8 - bits))
    return img_u8 & mask


def scale_channel(chan):
    hist = torch.bincount(chan.reshape(-1), minlength=256)
    nonzero = hist[hist != 0]
    step = torch.div(nonzero[:-1].sum(), 255, rounding_mode="floor")
    if step == 0:
        return chan
    lut = torch.div(torch.cumsum(hist, 0) + torch.div(step, 2, rounding_mode="floor"), step, rounding_mode="floor")
    lut = F.pad(lut, [1, 0])[:-1].clamp(0, 255)
    return lut[chan.to(torch.int64)].to(torch.uint8)


def equalize(img_u8):
    return torch.stack([torch.stack([scale_channel(im[c]) for c in range(im.size(0))]) for im in img_u8])


def u8(shape, hi=256):
    return torch.randint(0, hi, shape, dtype=torch.uint8)


out = {}
small = u8((2, 3, 5, 6))
small[1, 2] = 77  # a constant channel (autocontrast leaves it)
small[1, 0, 0, 0], small[1, 0, 1, 1] = 3, 250
out["small"] = {"shape": [2, 5, 6, 3], "bytes": small.permute(0, 2, 3, 1).reshape(-1).tolist()}
x = small.float() / 255
sharp_f = [0.3, 2.0]
out["sharpness"] = {"factors": sharp_f, "rgb": nhwc(adjust_sharpness(x, torch.tensor(sharp_f).view(2, 1, 1, 1)))}
out["autocontrast"] = nhwc(autocontrast(x))
out["posterize"] = {str(b): posterize(small, b).permute(0, 2, 3, 1).reshape(-1).tolist() for b in (1, 3, 5)}
out["equalize_small"] = equalize(small).permute(0, 2, 3, 1).reshape(-1).tolist()  # step 0: unchanged

# Equalize needs n - count(max) >= 255 for a non-trivial LUT: a 23 x 23 image, skewed values.
big = (torch.rand(1, 3, 23, 23) ** 2 * 200).to(torch.uint8)
big[0, 1, :4, :] = 255  # many pixels at the top value
big[0, 2] = (torch.rand(23, 23) * 3).to(torch.uint8) + 100  # few distinct values
out["big"] = {"shape": [1, 23, 23, 3], "bytes": big.permute(0, 2, 3, 1).reshape(-1).tolist()}
out["equalize_big"] = equalize(big).permute(0, 2, 3, 1).reshape(-1).tolist()

# Resize (torch's interpolate; torchvision's _compute_resized_output_size for a number).
img = torch.rand(1, 3, 9, 12)
out["resize_src"] = {"shape": [1, 9, 12, 3], "data": nhwc(img)}
cases = []
for size, hw, mode, aa in [(5, [5, 6], "bilinear", True), ([4, 7], [4, 7], "bilinear", False), ([11, 14], [11, 14], "bilinear", True), (5, [5, 6], "bicubic", True)]:
    y = F.interpolate(img, size=hw, mode=mode, align_corners=False, antialias=aa)
    cases.append({"size": size, "hw": hw, "interpolation": mode, "antialias": aa, "out": nhwc(y)})
out["resize"] = cases
# Affine warps: _get_inverse_affine_matrix (Python floats), _gen_affine_grid, grid_sample,
# _apply_grid_transform's fill, per image.
def inverse_affine_matrix(center, angle, translate, scale, shear):
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]
    m = [x / scale for x in m]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def gen_affine_grid(theta, w, h, ow, oh):
    d = 0.5
    base = torch.empty(1, oh, ow, 3, dtype=theta.dtype)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, steps=oh).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype)
    return base.view(1, oh * ow, 3).bmm(rescaled).view(1, oh, ow, 2)


def apply_grid_transform(img, grid, mode, fill):
    if fill is not None:
        img = torch.cat((img, torch.ones(img.shape[0], 1, img.shape[2], img.shape[3], dtype=img.dtype)), dim=1)
    img = F.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = img[:, -1:, :, :]
        img = img[:, :-1, :, :]
        mask = mask.expand_as(img)
        fill_img = torch.tensor(fill, dtype=img.dtype).view(1, len(fill), 1, 1).expand_as(img)
        if mode == "nearest":
            m = mask < 0.5
            img[m] = fill_img[m]
        else:
            img = img * mask + (1.0 - mask) * fill_img
    return img


def warp(img, matrix, mode, fill):
    _, _, h, w = img.shape
    theta = torch.tensor(matrix, dtype=torch.float32).reshape(1, 2, 3)
    return apply_grid_transform(img, gen_affine_grid(theta, w, h, w, h), mode, fill)


wimg = torch.rand(2, 3, 6, 7)
out["warp_src"] = {"shape": [2, 6, 7, 3], "data": nhwc(wimg)}
warps = []
for angles, mode, fill in [([30.0, -113.7], "nearest", None), ([30.0, -113.7], "bilinear", [0.0]), ([12.5, 200.0], "bilinear", [0.2, 0.5, 0.9])]:
    y = torch.cat([warp(wimg[i : i + 1], inverse_affine_matrix([0.0, 0.0], -a, [0.0, 0.0], 1.0, [0.0, 0.0]), mode, fill) for i, a in enumerate(angles)])
    warps.append({"kind": "rotate", "angle": angles, "interpolation": mode, "fill": fill, "out": nhwc(y)})
params = {"angle": [10.0, -25.0], "translate": [[2, -1], [0, 3]], "scale": [1.2, 0.8], "shear": [[5.0, 0.0], [-10.0, 7.0]]}
for mode, fill in [("nearest", None), ("bilinear", [0.1, 0.3, 0.7])]:
    y = torch.cat([warp(wimg[i : i + 1], inverse_affine_matrix([0.0, 0.0], params["angle"][i], params["translate"][i], params["scale"][i], params["shear"][i]), mode, fill) for i in range(2)])
    warps.append({"kind": "affine", **params, "interpolation": mode, "fill": fill, "out": nhwc(y)})
# AutoAugment's ShearX / ShearY: F.affine(..., center=[0, 0]), i.e. about the top-left corner.
_, _, wh, ww = wimg.shape
corner = [0.0 - ww * 0.5, 0.0 - wh * 0.5]
shears = [[17.0, 0.0], [0.0, -12.0]]
y = torch.cat([warp(wimg[i : i + 1], inverse_affine_matrix(corner, 0.0, [0.0, 0.0], 1.0, shears[i]), "nearest", None) for i in range(2)])
warps.append({"kind": "affine", "angle": [0.0, 0.0], "translate": [[0, 0], [0, 0]], "scale": [1.0, 1.0], "shear": shears, "center": [0, 0], "interpolation": "nearest", "fill": None, "out": nhwc(y)})
out["warps"] = warps
print(json.dumps(out))
