@testable import Domain
import Foundation
import LMDSJSON
@testable import Reports
import Testing

/// The feedback report, the progress figures of the overview, talent and outcomes reports, and ratings that
/// prefer feedback to the outcome's, all honouring the blind rule.
@Suite struct FeedbackReportTests {
    typealias Base = ReportBuilderTests
    static let day = Base.day

    /// The base state's M-0001 (delivered at start + 40 days), with milestones (one met on time, one late, one
    /// not yet due), an at-risk check-in before delivery, and the requester's end feedback (satisfaction 2).
    static func state(educationAnswers: Bool) throws -> DomainState {
        var state = try Base.state()
        state.progress.milestones["M-0001"] = [
            Milestone(number: 1, title: "Kick-off", due: "2026-10-05", completedMs: Base.start, completedOn: "2026-10-05"),
            Milestone(number: 2, title: "Interviews", due: "2026-10-20", completedMs: Base.start + 35 * day, completedOn: "2026-10-26"),
            Milestone(number: 3, title: "Later", due: "2027-05-01"),
        ]
        let answers = Dictionary(uniqueKeysWithValues: FeedbackPolicy.defaultSet.map { ($0.id, 2) })
        state.progress.feedback["M-0001"] = [FeedbackEntry(side: .requester, moment: .end, answers: answers, submittedMs: Base.start + 41 * day, comment: nil)]
        if educationAnswers {
            state.progress.feedback["M-0001"]?.append(
                FeedbackEntry(side: .education, moment: .end, answers: answers.mapValues { _ in 4 }, submittedMs: Base.start + 42 * day, comment: nil))
        }
        return state
    }

    static func builder(educationAnswers: Bool, reader: FeedbackReader = .outsider, days: Int64 = 45) throws -> ReportBuilder {
        var builder = ReportBuilder(state: try state(educationAnswers: educationAnswers), taxonomy: Base.leiden, policy: .default, asOfPosition: 12,
                                    nowMs: Base.start + days * day, period: nil, seesAll: true)
        builder.feedbackReader = reader
        return builder
    }

    /// While the education side has not answered and the window is open, the requester's answers count as a
    /// response but not in the answers, except for an admin; the window's close reveals them.
    @Test func hiddenAnswersAreLeftOutUntilRevealed() throws {
        let blind = try #require(try Self.builder(educationAnswers: false).build("feedback"))
        #expect(Base.figure(blind, "responses") == 1 && Base.figure(blind, "responses with hidden answers") == 1)
        #expect(Base.figure(blind, "response rate at the end, requester") == .double(1) && Base.figure(blind, "response rate at the end, education") == .double(0))
        #expect(blind.tables[1].rows.isEmpty)
        let admin = try #require(try Self.builder(educationAnswers: false, reader: .admin).build("feedback"))
        #expect(admin.tables[1].rows.count == 5)
        let closed = try #require(try Self.builder(educationAnswers: false, days: 40 + 14).build("feedback"))
        #expect(closed.tables[1].rows.first?[4] == .double(2) || closed.tables[1].rows.first?[4] == .integer(2))
    }

    /// The overview, talent and outcomes reports count milestones due and met on time, and the response rates.
    @Test func progressFiguresInThreeReports() throws {
        let builder = try Self.builder(educationAnswers: true)
        for name in ["overview", "talent", "outcomes"] {
            let report = try #require(builder.build(name))
            #expect(Base.figure(report, "milestones due by the report's day") == 2, "\(name)")
            #expect(Base.figure(report, "milestones met on time") == 1, "\(name)")
            #expect(Base.figure(report, "feedback response rate at the end, education") == .double(1), "\(name)")
        }
    }

    /// The institutions report takes a side's satisfaction from its feedback where it may be seen, else the
    /// outcome's rating, and says which.
    @Test func ratingsPreferFeedback() throws {
        let shown = try #require(try Self.builder(educationAnswers: true).build("institutions"))
        let row = try #require(shown.tables.first?.rows.first)
        #expect(row[11] == .double(2) || row[11] == .integer(2))
        #expect(row.last == .string("feedback 2, outcome 0"))
        let hidden = try #require(try Self.builder(educationAnswers: false).build("institutions"))
        #expect(hidden.tables.first?.rows.first?.last == .string("feedback 0, outcome 0"))
    }
}
