import Foundation

/// Pillow's resampling filters, numbered as `PIL.Image.Resampling` (and transformers' `PILImageResampling`),
/// which is how `preprocessor_config.json` stores them in its `resample` field.
///
/// Kernels follow Pillow's src/libImaging/Resample.c
/// (https://github.com/python-pillow/Pillow/blob/main/src/libImaging/Resample.c).
public enum ResampleFilter: Int, Sendable, CaseIterable, CustomStringConvertible {
    case nearest = 0
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5

    public var description: String {
        switch self {
        case .nearest: "nearest"
        case .lanczos: "lanczos"
        case .bilinear: "bilinear"
        case .bicubic: "bicubic"
        case .box: "box"
        case .hamming: "hamming"
        }
    }

    /// Half-width of the kernel at scale 1 (Pillow's `struct filter` support).
    var support: Double {
        switch self {
        case .nearest, .box: 0.5
        case .bilinear, .hamming: 1.0
        case .bicubic: 2.0
        case .lanczos: 3.0
        }
    }

    /// The kernel value at `x` (in source pixels at scale 1), exactly as Pillow computes it in double.
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest, .box:
            return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0
        case .bilinear:
            let x = abs(x)
            return x < 1.0 ? 1.0 - x : 0.0
        case .hamming:
            let x = abs(x)
            if x == 0.0 { return 1.0 }
            if x >= 1.0 { return 0.0 }
            let px = x * Double.pi
            // Pillow writes the window constants as C floats (0.54f, 0.46f), widened to double.
            return sin(px) / px * (Double(Float(0.54)) + Double(Float(0.46)) * cos(px))
        case .bicubic:
            // Keys cubic with a = -0.5, written in Pillow's operation order so rounding matches.
            let a = -0.5
            let x = abs(x)
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        case .lanczos:
            // Truncated sinc, a = 3.
            if -3.0 <= x && x < 3.0 { return Self.sinc(x) * Self.sinc(x / 3) }
            return 0.0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0.0 { return 1.0 }
        let px = x * Double.pi
        return sin(px) / px
    }
}
