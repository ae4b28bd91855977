import Domain
import LMDSProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `text` filter of the lists: every folded word of the filter appears in the folded texts.
enum ListText {
    /// Whether each of `words` (already folded) occurs in the texts, folded and joined by spaces.
    ///
    /// A byte search of the folded UTF-8: on folded text it finds what a search by characters
    /// finds, many times faster; the lists fold and search every entity they look at (found by
    /// `scripts/torture load`, where the character search took 40% of the daemon's time).
    static func matches(_ words: [String], in texts: [String]) -> Bool {
        guard !words.isEmpty else { return true }
        var haystack = TextFolding.fold(texts.joined(separator: " "))
        return haystack.withUTF8 { haystackBytes in
            words.allSatisfy { word in
                var word = word
                return word.withUTF8 { occurs($0, in: haystackBytes) }
            }
        }
    }

    /// Whether `needle` occurs in `haystack`, byte for byte.
    static func occurs(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first else { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            if memcmp(haystack.baseAddress! + start, needle.baseAddress!, needle.count) == 0 { return true }
        }
        return false
    }
}

/// The filters the list methods share, read and checked the same way by each of them.
extension Params {
    /// Items a list returns per page at most; more pages via `cursor`.
    static let listLimitMax: Int64 = 500
    static let listLimitDefault = 50

    /// `status`, one of `statuses`.
    mutating func listStatus(among statuses: [String], bytesMax: Int = 32) throws(RPCError) -> String? {
        guard let text = try string("status", bytesMax: bytesMax) else { return nil }
        guard statuses.contains(text) else { throw RPCError.validation(field: "status", "one of \(statuses.joined(separator: ", "))") }
        return text
    }

    /// `neighbourhood`: a district or wijk of the city, by id or label.
    mutating func listPlace(_ taxonomy: Taxonomy) throws(RPCError) -> Taxonomy.Place? {
        guard let text = try string("neighbourhood", bytesMax: 200) else { return nil }
        return try Dispatcher.answering { () throws(DomainError) in try taxonomy.requirePlace(text, field: "neighbourhood") }
    }

    /// `institution`, by id or label, as its id.
    mutating func listInstitution(_ taxonomy: Taxonomy) throws(RPCError) -> String? {
        try listTerm("institution", taxonomy.institutionVocabulary)
    }

    /// `field`: a term of `vocabulary` by id or label (case and diacritics folded), as its id.
    /// - Throws: validation, with the known terms and any near miss, for a name that names none.
    /// The vocabulary is built only when the filter is given: lists without it (most) pay nothing for it.
    mutating func listTerm(_ field: String, _ vocabulary: @autoclosure () -> Vocabulary) throws(RPCError) -> String? {
        guard let text = try string(field, bytesMax: 200) else { return nil }
        let terms = vocabulary()
        return try Dispatcher.answering { () throws(DomainError) in try terms.resolve(text, field: field) }
    }

    /// `period`: an offer's period label or a date; checked against the state by `checkListPeriod`.
    mutating func listPeriod() throws(RPCError) -> String? {
        try string("period", bytesMax: OfferLimits.periodLabelBytesMax)
    }

    /// `text`: folded words that must all appear.
    mutating func listWords() throws(RPCError) -> [String] {
        guard let text = try string("text", bytesMax: 500) else { return [] }
        return TextFolding.fold(text).split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }

    /// `limit` and `cursor`.
    mutating func listPage() throws(RPCError) -> (limit: Int, cursor: String?) {
        (Int(try integer("limit", in: 1...Self.listLimitMax) ?? Int64(Self.listLimitDefault)), try string("cursor", bytesMax: 32))
    }
}

extension DomainState {
    /// Passes when `period` (a list's filter) is nil or names a period in use: an offer's period label, or a
    /// date inside an offer's period or a question's window.
    /// - Throws: validation naming the periods in use and any near miss.
    func checkListPeriod(_ period: String?) throws(RPCError) {
        guard let period else { return }
        try Dispatcher.answering { () throws(DomainError) in try requirePeriod(period, field: "period") }
    }
}
