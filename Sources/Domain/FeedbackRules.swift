import LMDSJSON

/// One question each side answers: an id, its text, and its scale (answers are whole numbers 1 to `scale`).
public struct FeedbackQuestion: Sendable, Hashable {
    public let id: String
    public let text: String
    public let scale: Int

    public init(id: String, text: String, scale: Int) {
        self.id = id
        self.text = text
        self.scale = scale
    }

    public var json: JSONValue { ["id": .string(id), "text": .string(text), "scale": .integer(Int64(scale))] }
}

/// The programme's feedback rules (config `feedback.questions`, `feedback.sides`, `feedbackWindowDays`),
/// passed in with every decision and read like the rest of `DomainPolicy`.
public struct FeedbackPolicy: Sendable, Hashable {
    /// The questions per side; every side has a list.
    public var questions: [FeedbackSide: [FeedbackQuestion]]
    /// The sides whose answers every side waits for before the answers are shown (default requester and education).
    public var expectedSides: Set<FeedbackSide>
    /// Days after the outcome (moment `end`) or the follow-up check (`followup`) after which answers are shown
    /// even when an expected side never answered (default 14).
    public var windowDays: Int

    public init(questions: [FeedbackSide: [FeedbackQuestion]] = FeedbackPolicy.defaultQuestions,
                expectedSides: Set<FeedbackSide> = [.requester, .education], windowDays: Int = 14) {
        self.questions = questions
        self.expectedSides = expectedSides
        self.windowDays = windowDays
    }

    /// The five questions every side answers by default, each 1-5.
    public static let defaultSet: [FeedbackQuestion] = [
        FeedbackQuestion(id: "satisfaction", text: "How satisfied are you with the collaboration as a whole?", scale: 5),
        FeedbackQuestion(id: "usefulness", text: "How useful is the result?", scale: 5),
        FeedbackQuestion(id: "learning", text: "How much did the students learn?", scale: 5),
        FeedbackQuestion(id: "collaboration", text: "How well did the collaboration between the sides go?", scale: 5),
        FeedbackQuestion(id: "again", text: "Would you do it again?", scale: 5),
    ]

    public static let defaultQuestions: [FeedbackSide: [FeedbackQuestion]] =
        Dictionary(uniqueKeysWithValues: FeedbackSide.allCases.map { ($0, defaultSet) })

    /// The questions of `side` (the default set when the config gives none).
    public func questions(for side: FeedbackSide) -> [FeedbackQuestion] { questions[side] ?? Self.defaultSet }
}

/// Who reads feedback, as far as the blind rule cares.
public enum FeedbackReader: Sendable, Hashable {
    /// A side of the match (an educator of the offer's institution is the education side).
    case side(FeedbackSide)
    /// Coordinators: they see that a side has answered, not what, until the answers are shown.
    case coordinator
    /// Admins see everything, always.
    case admin
    /// Viewers and educators of other institutions: shown answers only, never comments.
    case outsider
}

/// What a reader may see of one side's feedback.
public enum FeedbackAccess: String, Sendable, Hashable {
    /// The answers and the comment.
    case full
    /// The answers; not the comment.
    case answers
    /// Only that the side answered, and when.
    case submittedOnly
}

/// The blind rule, pure: who may see what of a match's feedback for a moment, as of when. A side sees the other
/// sides' answers only once every expected side has answered or the window has closed; its own always.
public enum FeedbackBlindRule {
    /// Whether a moment's answers are shown: every expected side has submitted (by `asOfMs`), or the window,
    /// opened at `openedMs` (the outcome's or follow-up check's time), has closed by `asOfMs`.
    public static func isRevealed(
        submitted: [FeedbackSide: Int64], expected: Set<FeedbackSide>, openedMs: Int64?, windowDays: Int, asOfMs: Int64
    ) -> Bool {
        let answered = Set(submitted.filter { $0.value <= asOfMs }.keys)
        if expected.isSubset(of: answered) { return true }
        guard let openedMs else { return false }
        return asOfMs >= openedMs + Int64(windowDays) * 86_400_000
    }

    /// What `reader` may see of `side`'s feedback, given whether the moment's answers are shown.
    public static func access(of reader: FeedbackReader, to side: FeedbackSide, revealed: Bool) -> FeedbackAccess {
        switch reader {
        case .admin: return .full
        case .side(let own): return own == side || revealed ? .full : .submittedOnly
        case .coordinator: return revealed ? .full : .submittedOnly
        case .outsider: return revealed ? .answers : .submittedOnly
        }
    }

    /// Why the hidden part is hidden, for `feedback.get`; nil when nothing is.
    public static func hiddenReason(expected: Set<FeedbackSide>, submitted: Set<FeedbackSide>, openedMs: Int64?, windowDays: Int) -> String {
        let waiting = expected.subtracting(submitted).sorted().map(\.rawValue).joined(separator: ", ")
        let closes = openedMs.map { "the window closes on \(CivilDate.date(milliseconds: $0 + Int64(windowDays) * 86_400_000))" }
            ?? "the window opens with the outcome or the follow-up check"
        return "blind until every expected side has answered (waiting for \(waiting)) or the window closes; \(closes)"
    }
}

extension DomainState {
    /// When a moment's feedback window opened for `match`: its outcome's recording (`end`) or its follow-up
    /// check (`followup`); nil before that.
    public func feedbackOpenedMs(_ match: Match, _ moment: FeedbackMoment) -> Int64? {
        let outcome = match.outcome.flatMap { outcomes[$0] }
        switch moment {
        case .end: return outcome?.recordedMs
        case .followup: return outcome?.followUp?.recordedMs
        }
    }

    /// Whether `match`'s answers for `moment` are shown as of `asOfMs` (`FeedbackBlindRule.isRevealed` on this state).
    public func feedbackRevealed(_ match: Match, _ moment: FeedbackMoment, policy: FeedbackPolicy, asOfMs: Int64) -> Bool {
        let given = (progress.feedback[match.id] ?? []).filter { $0.moment == moment }
        let submitted = Dictionary(given.map { ($0.side, $0.submittedMs) }, uniquingKeysWith: min)
        return FeedbackBlindRule.isRevealed(
            submitted: submitted, expected: policy.expectedSides, openedMs: feedbackOpenedMs(match, moment), windowDays: policy.windowDays, asOfMs: asOfMs)
    }
}
