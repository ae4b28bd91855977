// placeholder until scripts/embed-taxonomies runs
extension Taxonomy { public static let embedded: [String: String] = [:] }
