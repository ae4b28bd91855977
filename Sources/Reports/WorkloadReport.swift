import Domain
import LMDSJSON

extension ReportBuilder {
    /// `workload`: per coordinator (every configured coordinator or admin, and anyone who owns a question),
    /// the owned questions by status, the active matches of those questions and the overdue items; and a
    /// row for the questions nobody owns.
    ///
    /// Questions count by submission date in the period. Overdue items: started matches whose offer's
    /// period ended without an outcome, and follow-up checks past their grace days (as of the report's day).
    func workload() -> Report {
        let statuses: [QuestionStatus] = [.submitted, .open, .matched, .completed]
        var owners = Set(policy.users.filter { DeskView.Person(name: $0.key, role: $0.value.role, institution: nil).isStaff }.keys)
        owners.formUnion(state.desk.owners.values)
        let questions = self.questions
        let overdue = DeskView(state: state, policy: policy, nowMs: nowMs, lastEventMs: [:]).allItems().filter { item in
            switch item.kind {
            case .overdue: return true
            case .followUp: return today >= CivilDate.adding(days: policy.followUpGraceDays, to: item.since)
            case .intake, .unproposed, .consent, .notStarted: return false
            }
        }.filter { inPeriod(state.questions[$0.question]?.submittedMs ?? 0) }
        func row(_ label: String, owner: String?) -> [JSONValue] {
            let owned = questions.filter { state.owner(of: $0.id) == owner }
            let activeMatches = owned.flatMap { state.matchesByQuestion[$0.id] ?? [] }.filter { state.matches[$0]?.status.isOpen == true }
            let counts = statuses.map { status in Self.integer(owned.filter { $0.status == status }.count) }
            let ended = owned.filter { $0.status.isFinal && $0.status != .completed }.count
            return [.string(label)] + counts + [Self.integer(ended), Self.integer(owned.count), Self.integer(activeMatches.count),
                                                 Self.integer(overdue.filter { $0.owner == owner }.count)]
        }
        let rows = owners.sorted().map { row($0, owner: $0) } + [row("(unowned)", owner: nil)]
        let unowned = questions.filter { state.owner(of: $0.id) == nil && !$0.status.isFinal }.count
        return report(
            "workload", "Workload: who owns what",
            "Per coordinator: owned questions (by submission date) by status, active matches (agreed or started) of those questions, and overdue items (started matches past their offer's period without an outcome, follow-up checks \(policy.followUpGraceDays) days past due); the last row is the questions nobody owns.\(countedOnce)",
            figures: [
                ("owned questions", Self.integer(questions.filter { state.owner(of: $0.id) != nil }.count)),
                ("unowned questions not finished", Self.integer(unowned)),
                ("overdue items", Self.integer(overdue.count)),
            ],
            tables: [
                Report.Table(title: "Per coordinator",
                             columns: ["owner"] + statuses.map(\.rawValue) + ["ended otherwise", "questions", "active matches", "overdue"],
                             rows: rows, chartColumn: 6),
            ])
    }
}
