import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Converts GB18030 bytes to UTF-8 with the C library's iconv, which can stop cleanly at a character split across
/// chunks (Foundation's `String(data:encoding:)` also knows GB18030 here but only decodes whole buffers).
///
/// GB18030 has no shift state, so one converter may serve any number of decoders; the lock only keeps two threads
/// from using the iconv descriptor at the same moment.
final class GB18030Converter: Sendable {
    enum Outcome {
        case complete
        /// The input ends partway through a character; `consumed` bytes were converted.
        case incomplete(consumed: Int)
        /// The bytes at offset `consumed` are not GB18030.
        case invalid(consumed: Int)
    }

    /// Immutable after `init`; every use is serialised by `lock`.
    nonisolated(unsafe) private let descriptor: iconv_t
    private let lock = Mutex(())

    init?() {
        let handle = iconv_open("UTF-8", "GB18030")
        guard let handle, handle != iconv_t(bitPattern: -1) else { return nil }
        descriptor = handle
    }

    deinit {
        iconv_close(descriptor)
    }

    /// Appends the UTF-8 form of `input` to `output`, converting as far as the input allows.
    func convert(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) -> Outcome {
        guard let inputBase = input.baseAddress, !input.isEmpty else { return .complete }
        // A two-byte GB18030 character becomes at most three UTF-8 bytes, so 1.5 × input plus slack is enough for
        // one pass; the loop still handles E2BIG in case that reasoning is ever wrong.
        let scratchCapacity = min(input.count * 3 / 2 + 16, 256 * 1024)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scratchCapacity) { scratch in
            var inputPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: inputBase)
                .assumingMemoryBound(to: CChar.self)
            var inputLeft = input.count
            while true {
                var outputPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(scratch.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var outputLeft = scratch.count
                let (result, failureCode) = lock.withLock { _ in
                    let result = iconv(descriptor, &inputPointer, &inputLeft, &outputPointer, &outputLeft)
                    return (result, result == -1 ? errno : 0)
                }
                output.append(contentsOf: scratch[..<(scratch.count - outputLeft)])
                let consumed = input.count - inputLeft
                if result != -1 { return .complete }
                switch failureCode {
                case E2BIG: continue
                case EINVAL: return .incomplete(consumed: consumed)
                default: return .invalid(consumed: consumed)
                }
            }
        }
    }
}
