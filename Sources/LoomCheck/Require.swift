/// Stops the program with `message` when `condition` is false: the project's one check for
/// programmer errors (a wrong tensor shape, a buffer of the wrong size).
///
/// Unlike `precondition`, it stays in the `-Ounchecked` release builds users run, where a broken
/// invariant would otherwise read or write out of bounds. It is not for bad input: files, options and
/// requests that can be wrong get a thrown error that names them, long before a check like this.
@inlinable @inline(__always)
public func require(
    _ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) {
    if !condition { fatalError(message(), file: file, line: line) }
}
