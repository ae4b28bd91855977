/// Serialises `JSONValue` to its canonical text: object keys sorted by their UTF-8 bytes, no white
/// space, non-ASCII characters written as they are (so Dutch text round-trips byte for byte), and only
/// the characters JSON requires escaped.
///
/// The canonical form is what the event log hashes: the same value always gives the same bytes.
public enum JSONWriter {
    /// The canonical UTF-8 bytes of `value`.
    public static func canonicalBytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        write(value, into: &output)
        return output
    }

    /// The canonical text of `value`.
    public static func canonicalString(_ value: JSONValue) -> String {
        String(decoding: canonicalBytes(value), as: UTF8.self)
    }

    /// Appends the canonical bytes of `value` to `output`.
    public static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let integer): output.append(contentsOf: String(integer).utf8)
        case .double(let double): writeDouble(double, into: &output)
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            if members.count <= smallObjectMembersMax {
                // The small objects most event data is made of: their positions in the dictionary, sorted by
                // insertion in a buffer on the stack (no allocation, no copies of the members).
                withUnsafeTemporaryAllocation(of: [String: JSONValue].Index.self, capacity: members.count) { order in
                    order.initialize(repeating: members.startIndex)
                    var count = 0
                    var position = members.startIndex
                    while position != members.endIndex {
                        var slot = count
                        while slot > 0 && utf8Precedes(members.keys[position], members.keys[order[slot - 1]]) {
                            order[slot] = order[slot - 1]
                            slot -= 1
                        }
                        order[slot] = position
                        count += 1
                        members.formIndex(after: &position)
                    }
                    for slot in 0..<count {
                        if slot > 0 { output.append(UInt8(ascii: ",")) }
                        writeString(members.keys[order[slot]], into: &output)
                        output.append(UInt8(ascii: ":"))
                        write(members.values[order[slot]], into: &output)
                    }
                    order.deinitialize()
                }
                output.append(UInt8(ascii: "}"))
                return
            }
            // Sorting the members themselves rather than the keys spares a dictionary lookup per key.
            let sorted = members.sorted { utf8Precedes($0.key, $1.key) }
            for (offset, member) in sorted.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    static func writeDouble(_ double: Double, into output: inout [UInt8]) {
        precondition(double.isFinite, "JSON has no representation for \(double)")
        if double.rounded() == double, abs(double) < 1e15 {
            // Whole numbers print without a fraction so that 3.0 and 3 read alike.
            output.append(contentsOf: String(Int64(double)).utf8)
        } else {
            output.append(contentsOf: double.description.utf8)
        }
    }

    /// Objects of up to this many members are sorted by insertion (quadratic, but without the general
    /// sort's set-up, which dominated for the three to ten members of typical event data).
    static let smallObjectMembersMax = 16

    /// Whether `left` comes before `right` in the order of their UTF-8 bytes (the canonical key order).
    static func utf8Precedes(_ left: String, _ right: String) -> Bool {
        var left = left
        var right = right
        return left.withUTF8 { leftBytes in
            right.withUTF8 { rightBytes in
                for index in 0..<min(leftBytes.count, rightBytes.count) where leftBytes[index] != rightBytes[index] {
                    return leftBytes[index] < rightBytes[index]
                }
                return leftBytes.count < rightBytes.count
            }
        }
    }

    /// Whether any byte must be escaped in a JSON string: a control character, `"` or `\`.
    ///
    /// Event data is mostly long runs of plain text, and every append and reply writes it: eight bytes
    /// are tested at a time (the "has a byte less than n" and "has a zero byte" word tricks, both exact
    /// for the question whether such a byte exists).
    public static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let control = (word &- 0x20 &* ones) & ~word & highBits
                let quote = word ^ (0x22 &* ones)
                let backslash = word ^ (0x5C &* ones)
                let zeroed = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highBits
                if control | zeroed != 0 { return true }
                index += 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C { return true }
            index += 1
        }
        return false
    }

    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        let needsEscaping = text.withUTF8 { Self.needsEscaping($0) }
        if !needsEscaping {
            // Most strings need no escaping: copy them in one go.
            text.withUTF8 { output.append(contentsOf: $0) }
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONWriter {
    /// Indented text for people (keys sorted, two spaces per level, non-ASCII as is).
    public static func prettyString(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        writePretty(value, indent: 0, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    static func writePretty(_ value: JSONValue, indent: Int, into output: inout [UInt8]) {
        let pad = { (level: Int) -> [UInt8] in [UInt8](repeating: UInt8(ascii: " "), count: level * 2) }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            output.append(contentsOf: "[\n".utf8)
            for (offset, element) in elements.enumerated() {
                output.append(contentsOf: pad(indent + 1))
                writePretty(element, indent: indent + 1, into: &output)
                output.append(contentsOf: (offset + 1 < elements.count ? ",\n" : "\n").utf8)
            }
            output.append(contentsOf: pad(indent))
            output.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            output.append(contentsOf: "{\n".utf8)
            let keys = members.keys.sorted(by: utf8Precedes)
            for (offset, key) in keys.enumerated() {
                output.append(contentsOf: pad(indent + 1))
                writeString(key, into: &output)
                output.append(contentsOf: ": ".utf8)
                writePretty(members[key]!, indent: indent + 1, into: &output)
                output.append(contentsOf: (offset + 1 < keys.count ? ",\n" : "\n").utf8)
            }
            output.append(contentsOf: pad(indent))
            output.append(UInt8(ascii: "}"))
        default:
            write(value, into: &output)
        }
    }
}
