"""Shared by the OCR reference scripts: numpy re-derivations of the two OpenCV 4.11 image operations
RapidOCR's pixels go through, exact to the uint8 value, and checks against cv2 and against plain
float interpolation. They say what a port must compute to get RapidOCR's tensors bit for bit:

  resize_linear  cv2.resize(img, (w, h)) (INTER_LINEAR) on uint8: every resize in RapidOCR
                 (detection, classifier, recognizer); imgproc/src/resize.cpp
  warp_cubic     cv2.warpPerspective(img, cv2.getPerspectiveTransform(box, rect), (w, h),
                 flags=INTER_CUBIC, borderMode=BORDER_REPLICATE) on uint8: the line crops;
                 imgproc/src/imgwarp.cpp (WarpPerspectiveInvoker, remapBicubic, initInterTab2D)
"""
import cv2
import numpy as np


def linear_weights(n_out: int, n_in: int, clamp: bool) -> tuple:
    """cv::resize INTER_LINEAR set-up: per output index the first source index and the two weights in
    11-bit fixed point. The position is computed in float32; columns are clamped to the edge with
    weights (2048, 0), rows are not (their two source rows are clamped instead)."""
    first, weights = np.zeros(n_out, dtype=np.int64), np.zeros((n_out, 2), dtype=np.int64)
    for d in range(n_out):
        f = np.float32((d + 0.5) * (n_in / n_out) - 0.5)
        i = int(np.floor(f))
        f = np.float32(f - np.float32(i))
        if clamp and i < 0:
            f, i = np.float32(0), 0
        if clamp and i >= n_in - 1:
            f, i = np.float32(0), n_in - 1
        first[d] = i
        weights[d] = [int(np.rint(np.float32(1 - f) * 2048)), int(np.rint(f * 2048))]  # saturate_cast<short>
    return first, weights


def resize_linear(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Horizontal pass in int32 (pixel x weight), then the vertical pass as OpenCV's SIMD kernel
    computes it (VResizeLinearVec_32s8u): ((((r0 >> 4) * b0) >> 16) + (((r1 >> 4) * b1) >> 16) + 2) >> 2,
    saturated to 0...255. (The scalar formula (r0 * b0 + r1 * b1 + 2^21) >> 22 differs on ~11%.)"""
    src = img.astype(np.int64)
    xs, a = linear_weights(width, img.shape[1], clamp=True)
    ys, b = linear_weights(height, img.shape[0], clamp=False)
    rows = a[None, :, 0, None] * src[:, xs] + a[None, :, 1, None] * src[:, np.minimum(xs + 1, img.shape[1] - 1)]
    r0, r1 = rows[np.clip(ys, 0, img.shape[0] - 1)], rows[np.clip(ys + 1, 0, img.shape[0] - 1)]
    b0, b1 = b[:, 0, None, None], b[:, 1, None, None]
    return np.clip(((((r0 >> 4) * b0) >> 16) + (((r1 >> 4) * b1) >> 16) + 2) >> 2, 0, 255).astype(np.uint8)


def resize_checks(img: np.ndarray, sizes: list) -> list:
    """Per (width, height): cv2.resize against resize_linear (exact when 0) and against float bilinear
    (half-pixel centres, edge clamp) rounded to uint8."""
    out = []
    for width, height in sizes:
        cv = cv2.resize(img, (width, height)).astype(np.int32)
        src = img.astype(np.float64)

        def axis(n_out, n_in):
            x = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
            x0 = np.floor(x).astype(int)
            return x0, np.minimum(x0 + 1, n_in - 1), x - x0
        y0, y1, fy = axis(height, img.shape[0])
        x0, x1, fx = axis(width, img.shape[1])
        fx = fx[None, :, None]
        top = src[y0][:, x0] * (1 - fx) + src[y0][:, x1] * fx
        bottom = src[y1][:, x0] * (1 - fx) + src[y1][:, x1] * fx
        bilinear = np.clip(np.round(top * (1 - fy)[:, None, None] + bottom * fy[:, None, None]), 0, 255)
        to_float = np.abs(cv - bilinear.astype(np.int32))
        to_model = np.abs(cv - resize_linear(img, width, height).astype(np.int32))
        out.append({"size": [width, height], "model_max_abs_uint8": int(to_model.max()),
                    "float_max_abs_uint8": int(to_float.max()), "float_fraction_differing": float((to_float > 0).mean())})
    return out


def perspective_transform(box: list, width: int, height: int) -> np.ndarray:
    """cv::getPerspectiveTransform(box, [[0,0],[w,0],[w,h],[0,h]]): the 8x8 system in double, solved by
    Gaussian elimination with partial pivoting (OpenCV's LUImpl). The opencv-python wheel solves it
    with LAPACK (OpenBLAS), which can differ in the last bit. On the samples that changed no crop pixel;
    on Tests/Fixtures/ocr/rendered/fonts.png (line 4, a near-affine box) it changes 189 values of one
    crop by up to 8 (sharp rendered edges: a source position moves across a 1/32 rounding step); given
    cv2's own matrix, warp_cubic is exact there too."""
    rect = [[0, 0], [width, 0], [width, height], [0, height]]
    a, b = np.zeros((8, 8)), np.zeros(8)
    for i in range(4):
        (sx, sy), (dx, dy) = (np.float32(v) for v in box[i]), (np.float32(v) for v in rect[i])
        a[i, 0] = a[i + 4, 3] = sx
        a[i, 1] = a[i + 4, 4] = sy
        a[i, 2] = a[i + 4, 5] = 1
        a[i, 6], a[i, 7] = -sx * dx, -sy * dx  # float32 products, as Point2f
        a[i + 4, 6], a[i + 4, 7] = -sx * dy, -sy * dy
        b[i], b[i + 4] = dx, dy
    for i in range(8):
        k = i + int(np.argmax(np.abs(a[i:, i])))  # the first of equal maxima, as LUImpl's strict '>'
        a[[i, k]], b[[i, k]] = a[[k, i]], b[[k, i]]
        d = -1 / a[i, i]
        for j in range(i + 1, 8):
            alpha = a[j, i] * d
            a[j, i + 1:] += alpha * a[i, i + 1:]
            b[j] += alpha * b[i]
        a[i, i] = -d
    for i in range(7, -1, -1):
        s = b[i]
        for k in range(i + 1, 8):
            s -= a[i, k] * b[k]
        b[i] = s * a[i, i]
    return np.append(b, 1.0).reshape(3, 3)


def invert3(m: np.ndarray) -> np.ndarray:
    """cv::invert(DECOMP_LU) of a 3x3 double matrix: OpenCV's closed form (core/src/lapack.cpp)."""
    d = 1.0 / (m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1]) - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
               + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]))
    return np.array([
        [(m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1]) * d, (m[0, 2] * m[2, 1] - m[0, 1] * m[2, 2]) * d,
         (m[0, 1] * m[1, 2] - m[0, 2] * m[1, 1]) * d],
        [(m[1, 2] * m[2, 0] - m[1, 0] * m[2, 2]) * d, (m[0, 0] * m[2, 2] - m[0, 2] * m[2, 0]) * d,
         (m[0, 2] * m[1, 0] - m[0, 0] * m[1, 2]) * d],
        [(m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]) * d, (m[0, 1] * m[2, 0] - m[0, 0] * m[2, 1]) * d,
         (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]) * d]])


def cubic_table() -> np.ndarray:
    """initInterTab2D(INTER_CUBIC, fixpt): for each of 32 x 32 sub-pixel positions (row fy = i/32,
    column fx = j/32) the 4 x 4 weights, float32 products of the 1-D cubic (A = -0.75) rounded to
    15-bit integers; when they do not sum to 32768, the difference goes to the largest (sum too small)
    or smallest (too large) of the four central weights."""
    def cubic(x):
        a, x, one = np.float32(-0.75), np.float32(x), np.float32(1)
        c0 = ((a * (x + one) - 5 * a) * (x + one) + 8 * a) * (x + one) - 4 * a
        c1 = ((a + 2) * x - (a + 3)) * x * x + one
        c2 = ((a + 2) * (one - x) - (a + 3)) * (one - x) * (one - x) + one
        return np.array([c0, c1, c2, one - c0 - c1 - c2], dtype=np.float32)
    one_d = [cubic(np.float32(i) * np.float32(1 / 32)) for i in range(32)]
    table = np.zeros((32, 32, 4, 4), dtype=np.int64)
    for i in range(32):
        for j in range(32):
            w = np.rint((one_d[i][:, None] * one_d[j][None, :]).astype(np.float64) * 32768).astype(np.int64)
            diff = int(w.sum()) - 32768
            if diff:
                low = high = (2, 2)
                for k in [(2, 2), (2, 3), (3, 2), (3, 3)]:
                    if w[k] < w[low]:
                        low = k
                    elif w[k] > w[high]:
                        high = k
                w[high if diff < 0 else low] -= diff
            table[i, j] = w
    return table


CUBIC_TABLE = cubic_table()


def warp_cubic(img: np.ndarray, box: list, width: int, height: int) -> np.ndarray:
    """The line crop. Per destination pixel (x, y), in blocks as WarpPerspectiveInvoker walks them
    (rows of bh, columns of bw, bh = min(16, h), bw = min(1024 // bh, w), bh = min(1024 // bw, h)), the
    inverse map in double: X0 = m0 * xb + m1 * y + m2 (xb: the block's first column; Y0, W0 alike),
    then per column x1 of the block W = 32 / (W0 + m6 * x1), X = rint((X0 + m0 * x1) * W) (half to
    even; Y alike): source taps (X >> 5) - 1 ... + 2 (rows likewise), clamped into the image
    (BORDER_REPLICATE), weights CUBIC_TABLE[Y & 31, X & 31]; value (sum + 2^14) >> 15, clamped to 0...255."""
    m = invert3(perspective_transform(box, width, height)).ravel()
    bh = min(16, height)
    bw = min(1024 // bh, width)
    bh = min(1024 // bw, height)
    src = img.astype(np.int64)
    out = np.zeros((height, width, img.shape[2]), dtype=np.uint8)
    taps = np.arange(4)
    for yb in range(0, height, bh):
        for xb in range(0, width, bw):
            x1 = np.arange(min(bw, width - xb), dtype=np.float64)
            for y in range(yb, min(yb + bh, height)):
                x0, y0, w0 = (m[0] * xb + m[1] * y + m[2], m[3] * xb + m[4] * y + m[5], m[6] * xb + m[7] * y + m[8])
                w = w0 + m[6] * x1
                w = np.where(w != 0, 32 / np.where(w != 0, w, 1), 0)
                fx = np.rint(np.clip((x0 + m[0] * x1) * w, -2.0 ** 31, 2.0 ** 31 - 1)).astype(np.int64)
                fy = np.rint(np.clip((y0 + m[3] * x1) * w, -2.0 ** 31, 2.0 ** 31 - 1)).astype(np.int64)
                rows = np.clip((fy >> 5)[:, None] - 1 + taps, 0, img.shape[0] - 1)  # (n, 4)
                cols = np.clip((fx >> 5)[:, None] - 1 + taps, 0, img.shape[1] - 1)
                weights = CUBIC_TABLE[fy & 31, fx & 31]  # (n, 4, 4)
                pixels = src[rows[:, :, None], cols[:, None, :]]  # (n, 4, 4, channels)
                total = (pixels * weights[..., None]).sum(axis=(1, 2))
                out[y, xb:xb + len(x1)] = np.clip((total + (1 << 14)) >> 15, 0, 255)
    return out


def warp_checks(img: np.ndarray, box: list, crop: np.ndarray) -> dict:
    """RapidOCR's crop (cv2) against warp_cubic (exact when 0) and against float bicubic (A = -0.75)
    at the exact source positions, rounded to uint8."""
    h, w = crop.shape[:2]
    model = np.abs(crop.astype(np.int32) - warp_cubic(img, box, w, h).astype(np.int32))
    inverse = np.linalg.inv(perspective_transform(box, w, h))
    ys, xs = np.mgrid[0:h, 0:w]
    p = inverse @ np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    x, y = p[0] / p[2], p[1] / p[2]

    def weight(t):
        a, t = -0.75, np.abs(t)
        return np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                        np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    src = img.astype(np.float64)
    total = np.zeros((xs.size, img.shape[2]))
    for j in range(-1, 3):
        for i in range(-1, 3):
            rows = np.clip(y0 + j, 0, img.shape[0] - 1)
            cols = np.clip(x0 + i, 0, img.shape[1] - 1)
            total += (weight(x - (x0 + i)) * weight(y - (y0 + j)))[:, None] * src[rows, cols]
    bicubic = np.abs(crop.astype(np.int32) - np.clip(np.round(total), 0, 255).reshape(crop.shape).astype(np.int32))
    return {"model_differing_values": int((model > 0).sum()), "model_max_abs_uint8": int(model.max()),
            "float_max_abs_uint8": int(bicubic.max()), "float_fraction_differing": float((bicubic > 0).mean())}
