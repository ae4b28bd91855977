/// Aligned plain-text tables for people. Widths count characters, not bytes, so Dutch names with
/// diacritics ("Bos- en Gasthuisdistrict", "ë") line up.
public enum TextTable {
    /// A table with a header row; columns as wide as their widest cell.
    public static func render(headers: [String], rows: [[String]]) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return ([line(headers, widths: widths)] + rows.map { line($0, widths: widths) }).joined(separator: "\n")
    }

    /// One row padded to `widths` (the last column is not padded).
    public static func line(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (index, cell) in cells.enumerated() {
            let width = index < widths.count ? widths[index] : 0
            let isLast = index == cells.count - 1
            parts.append(isLast ? cell : cell + String(repeating: " ", count: max(0, width - cell.count)))
        }
        return parts.joined(separator: "  ")
    }

    /// `key: value` lines with the values aligned.
    public static func keyValue(_ rows: [(String, String)]) -> String {
        let width = rows.map { $0.0.count }.max() ?? 0
        return rows.map { key, value in key + ":" + String(repeating: " ", count: width - key.count + 1) + value }
            .joined(separator: "\n")
    }
}
