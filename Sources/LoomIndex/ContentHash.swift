import LoomModelStore

/// SHA-256 (FIPS 180-4) of file bytes, the index's content key: the model store's streaming hash,
/// which reads files in blocks (no whole-file load).
typealias ContentHash = SHA256
