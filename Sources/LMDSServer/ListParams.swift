import Domain
import LMDSProtocol

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
        guard let place = taxonomy.place(text) else { throw RPCError.validation(field: "neighbourhood", "\"\(text)\" is not a district or wijk") }
        return place
    }

    /// `institution`, by id or label, as its id.
    mutating func listInstitution(_ taxonomy: Taxonomy) throws(RPCError) -> String? {
        guard let text = try string("institution", bytesMax: 200) else { return nil }
        guard let institution = taxonomy.institution(text) else { throw RPCError.validation(field: "institution", "\"\(text)\" is not an institution") }
        return institution.id
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
