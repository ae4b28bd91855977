import Domain
import LMDSJSON

/// The responsiveness report: reminders raised in the period, how many were acknowledged and resolved,
/// and how long resolving took, per rule and per institution.
extension ReportBuilder {
    func reminders() -> Report {
        let raised = state.reminders.reminders.values.filter { inPeriod($0.raisedMs) }
        let ruleRows: [[JSONValue]] = ReminderRule.allCases.map { rule in
            [.string(rule.rawValue)] + Self.responsiveness(raised.filter { $0.rule == rule })
        }
        var byInstitution: [String: [Reminder]] = [:]
        for reminder in raised { byInstitution[reminder.institution ?? "", default: []].append(reminder) }
        let institutionRows: [[JSONValue]] = byInstitution.keys.sorted().map { id in
            let label: JSONValue = id.isEmpty ? "(no institution)" : .string(taxonomy.institution(id)?.label ?? id)
            return [label, id.isEmpty ? .null : .string(id)] + Self.responsiveness(byInstitution[id] ?? [])
        }
        let columns = ["raised", "acknowledged", "resolved", "open", "median hours to resolve"]
        let totals = Self.responsiveness(raised)
        return report(
            "reminders", "Reminders: how quickly deadlines are answered",
            "Reminders raised in the period by rule and by the institution of the offer they concern: acknowledged (seen), resolved (answered by the event that settles them), still open, and the median time from raising to resolving.",
            figures: zip(columns, totals).map { ($0, $1) },
            tables: [
                Report.Table(title: "Per rule", columns: ["rule"] + columns, rows: ruleRows, chartColumn: 1),
                Report.Table(title: "Per institution", columns: ["institution", "institution id"] + columns, rows: institutionRows, chartColumn: 2,
                             idColumns: [1], dutchColumns: [0]),
            ])
    }

    /// Raised, acknowledged, resolved, still open (neither), and the median hours from raising to resolving.
    static func responsiveness(_ reminders: [Reminder]) -> [JSONValue] {
        let resolved = reminders.filter { $0.status == .resolved }
        let hours = resolved.compactMap { reminder in reminder.resolvedMs.map { Double($0 - reminder.raisedMs) / 3_600_000 } }
        return [
            integer(reminders.count), integer(reminders.filter { $0.acknowledgedMs != nil }.count), integer(resolved.count),
            integer(reminders.filter { $0.status == .open }.count), decimal(quantile(hours, 0.5)),
        ]
    }
}
