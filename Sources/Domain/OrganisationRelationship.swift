import LMDSJSON

/// What a partner organisation has done with the programme (issue 11), as `organisation.get` shows it: its
/// questions (those of the records merged into it included), their proposals, matches, outcomes and
/// follow-up checks, first and last collaboration, completed projects, average ratings, and a strength in
/// words. Computed from the state when asked: a pass over the questions, no index to keep.
///
/// **The strength rule.** A *collaboration* is a match of one of its questions that was not cancelled.
/// - `new`: no collaboration yet;
/// - `occasional`: one collaboration;
/// - `recurring`: two or more collaborations;
/// - `lasting`: three or more collaborations whose first and last were agreed at least
///   `lastingSpanDays` (365) days apart: the partner came back over more than a year.
public struct OrganisationRelationship: Sendable, Hashable {
    public enum Strength: String, Sendable, Hashable, CaseIterable {
        case new, occasional, recurring, lasting
    }

    /// Days between the first and last collaboration for `lasting`: a year, so one academic year's burst
    /// of projects stays `recurring`.
    public static let lastingSpanDays: Int64 = 365
    /// Collaborations `lasting` takes at least.
    public static let lastingCollaborationsMin = 3

    public let questions: [String]
    public let proposals: [String]
    public let matches: [String]
    public let outcomes: [String]
    /// Outcomes whose follow-up check was recorded, by how the requester used what was delivered.
    public let followUps: [FollowUpUse: Int]
    public let collaborations: Int
    public let firstCollaborationMs: Int64?
    public let lastCollaborationMs: Int64?
    /// Matches delivered or closed: an outcome was recorded.
    public let completedProjects: Int
    /// The mean of the outcomes' ratings by the requester and by the education side (1 to 5); nil without any.
    public let averageRequesterRating: Double?
    public let averageEducationRating: Double?

    /// The relationship of `organisation` (and the records merged into it) as `state` holds it.
    public init(of organisation: String, in state: DomainState) {
        let ids = Set([organisation] + (state.organisations.mergedFrom[organisation] ?? []))
        let questions = state.questions.values.filter { $0.requester.organisationID.map(ids.contains) ?? false }.map(\.id).sorted(by: EntityID.precedes)
        self.questions = questions
        proposals = questions.flatMap { state.proposalsByQuestion[$0] ?? [] }
        matches = questions.flatMap { state.matchesByQuestion[$0] ?? [] }
        outcomes = questions.flatMap { state.outcomesByQuestion[$0] ?? [] }
        let collaborations = matches.compactMap { state.matches[$0] }.filter { $0.status != .cancelled }
        self.collaborations = collaborations.count
        firstCollaborationMs = collaborations.map(\.agreedMs).min()
        lastCollaborationMs = collaborations.map(\.agreedMs).max()
        completedProjects = collaborations.filter { $0.status == .delivered || $0.status == .closed }.count
        let recorded = outcomes.compactMap { state.outcomes[$0] }
        var followUps: [FollowUpUse: Int] = [:]
        for outcome in recorded { if let check = outcome.followUp { followUps[check.used, default: 0] += 1 } }
        self.followUps = followUps
        averageRequesterRating = Self.mean(recorded.compactMap(\.ratings.requester))
        averageEducationRating = Self.mean(recorded.compactMap(\.ratings.education))
    }

    static func mean(_ values: [Int]) -> Double? {
        values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count)
    }

    /// The strength by the rule above.
    public var strength: Strength {
        switch collaborations {
        case 0: return .new
        case 1: return .occasional
        default:
            let spanMs = (lastCollaborationMs ?? 0) - (firstCollaborationMs ?? 0)
            let lasting = collaborations >= Self.lastingCollaborationsMin && spanMs >= Self.lastingSpanDays * 86_400_000
            return lasting ? .lasting : .recurring
        }
    }

    /// The rule in words, for replies.
    public static let strengthRule = "new: no collaboration (a match not cancelled) yet; occasional: one; recurring: two or more; "
        + "lasting: three or more, the first and last agreed at least \(lastingSpanDays) days apart"

    /// The relationship as `organisation.get` shows it; times as `time` renders milliseconds.
    public func json(time: (Int64) -> JSONValue) -> JSONValue {
        func ids(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
        func rating(_ value: Double?) -> JSONValue { value.map { .double(($0 * 100).rounded() / 100) } ?? .null }
        return [
            "questions": ids(questions), "proposals": ids(proposals), "matches": ids(matches), "outcomes": ids(outcomes),
            "followUps": .object(Dictionary(uniqueKeysWithValues: FollowUpUse.allCases.map { ($0.rawValue, JSONValue.integer(Int64(followUps[$0] ?? 0))) })),
            "collaborations": .integer(Int64(collaborations)),
            "firstCollaboration": firstCollaborationMs.map(time) ?? .null, "lastCollaboration": lastCollaborationMs.map(time) ?? .null,
            "completedProjects": .integer(Int64(completedProjects)),
            "averageRatings": ["requester": rating(averageRequesterRating), "education": rating(averageEducationRating)],
            "strength": .string(strength.rawValue), "strengthRule": .string(Self.strengthRule),
        ]
    }
}
