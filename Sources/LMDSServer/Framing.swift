import EventLog
import LMDSJSON
import LMDSProtocol
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A framed line, or the news that one was too long (its bytes were dropped as they arrived).
public enum InboundLine: Sendable {
    /// A complete line, without its newline.
    case line(ByteBuffer)
    /// A line longer than `lineBytesMax`, reported once; its bytes were dropped.
    case tooLong
}

/// Splits the byte stream at `\n` with a hard limit: a line longer than `lineBytesMax` is reported once
/// and its bytes discarded up to its newline, so a connection never buffers more than the limit.
/// A partial line at hang-up is dropped.
public struct LineFrameDecoder: ByteToMessageDecoder {
    /// Each frame is a line or the news that one was too long.
    public typealias InboundOut = InboundLine

    let lineBytesMax: Int
    private var discarding = false
    private var scannedBytes = 0

    /// A decoder that refuses lines longer than `lineBytesMax` bytes, which must be positive.
    public init(lineBytesMax: Int) {
        precondition(lineBytesMax > 0, "lineBytesMax must be positive")
        self.lineBytesMax = lineBytesMax
    }

    /// Passes on every complete line in `buffer`, or `.tooLong` once for a line over the limit.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let searchStart = view.startIndex + scannedBytes
        if let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            scannedBytes = 0
            if discarding {
                discarding = false
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .continue
            }
            if length > lineBytesMax {
                buffer.moveReaderIndex(forwardBy: length + 1)
                context.fireChannelRead(Self.wrapInboundOut(.tooLong))
                return .continue
            }
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(Self.wrapInboundOut(.line(line)))
            return .continue
        }
        if discarding {
            buffer.moveReaderIndex(forwardBy: view.count)
            scannedBytes = 0
            return .needMoreData
        }
        if view.count > lineBytesMax {
            discarding = true
            buffer.moveReaderIndex(forwardBy: view.count)
            scannedBytes = 0
            context.fireChannelRead(Self.wrapInboundOut(.tooLong))
            return .needMoreData
        }
        scannedBytes = view.count
        return .needMoreData
    }

    /// At hang-up, passes on the remaining complete lines and drops a partial one.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}
