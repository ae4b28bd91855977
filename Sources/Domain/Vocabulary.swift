import Foundation
import LMDSJSON

/// A closed list of values a param may name: a taxonomy's themes or levels, the kinds of offer, the
/// periods in use. Each term is named by its id or its label, case- and diacritics-folded; anything else
/// is refused naming the known terms, with a did-you-mean for a near miss ("Merenwijk Centrum" →
/// "Merenwijk-Centrum", "jeugd" → "Jeugd en jongeren").
///
/// The one home of this lookup: every list filter and every write resolves names through it. Pure.
public struct Vocabulary: Sendable, Hashable {
    /// One value: its stable id and, when it has one, the label people use.
    public struct Term: Sendable, Hashable {
        public let id: String
        public let label: String?

        public init(id: String, label: String? = nil) {
            self.id = id
            self.label = label
        }

        /// How a person reads it: the label, else the id.
        public var name: String { label ?? id }

        /// What may name it: its id and its label.
        var names: [String] { [id] + (label.map { [$0] } ?? []) }

        /// How `known` lists it: `youth (Jeugd en jongeren)`, or the label alone when it folds to the id
        /// (`Pieterswijk` for `pieterswijk`: people read the city's spelling, and either is accepted).
        public var listing: String {
            guard let label else { return id }
            return TextFolding.fold(label) == TextFolding.fold(id) ? label : "\(id) (\(label))"
        }
    }

    /// Known terms listed in a refusal at most; the rest are counted. Bounds the size of an error reply
    /// (a city's 64 wijken would otherwise fill a screen).
    public static let knownListedMax = 40
    /// Known terms named in the message itself at most: a sentence, not a screenful.
    public static let knownNamedMax = 12

    /// What one term is called, for messages: "theme", "level", "kind of offer".
    public let noun: String
    public let terms: [Term]

    public init(noun: String, terms: [Term]) {
        self.noun = noun
        self.terms = terms
    }

    /// A vocabulary of bare ids (kinds, sides): each term is its own name.
    public init(noun: String, ids: [String]) {
        self.init(noun: noun, terms: ids.map { Term(id: $0) })
    }

    /// The term `text` names by id or label, case- and diacritics-folded; nil for anything else.
    public func term(_ text: String) -> Term? {
        if let exact = terms.first(where: { $0.id == text }) { return exact }
        let folded = Self.key(text)
        return terms.first { Self.key($0.id) == folded || $0.label.map(Self.key) == folded }
    }

    /// The id of the term `text` names.
    /// - Throws: a validation error on `field` naming the known terms and any near miss.
    public func resolve(_ text: String, field: String) throws(DomainError) -> String {
        guard let term = term(text) else { throw refusal(text, field: field) }
        return term.id
    }

    /// The error for `text`, which names no term: `"jeugd" is not a theme; did you mean "Jeugd en jongeren"?`,
    /// with `data.value`, `data.known` (at most `knownListedMax`) and, for a near miss, `data.suggestion`.
    public func refusal(_ text: String, field: String) -> DomainError {
        let listed = terms.prefix(Self.knownListedMax).map(\.listing)
        let named = listed.prefix(Self.knownNamedMax)
        var data: [String: JSONValue] = ["value": .string(text), "known": .array(listed.map { .string($0) })]
        var reason = "\"\(text)\" is not \(Self.article(noun)) \(noun)"
        if let suggestion = nearMiss(text) {
            data["suggestion"] = .string(suggestion.name)
            reason += "; did you mean \"\(suggestion.name)\"?"
        } else if terms.isEmpty {
            reason += "; there are none yet"
        } else {
            reason += "; known: " + named.joined(separator: ", ") + (terms.count > named.count ? " and \(terms.count - named.count) more" : "")
        }
        return DomainError(.validation, "\(field): \(reason)", field: field, details: data)
    }

    /// The one term `text` most plausibly meant, if any: the closest by edit distance on folded text
    /// (within about one typo in four letters), else the only term whose id or label starts with it,
    /// else the only one containing it. Nil when none is close or two are equally close.
    public func nearMiss(_ text: String) -> Term? {
        let folded = Self.key(text)
        guard !folded.isEmpty else { return nil }
        var best: (distance: Int, terms: Set<Int>) = (Int.max, [])
        for (index, term) in terms.enumerated() {
            for key in term.names {
                let candidate = Self.key(key)
                let distance = Self.editDistance(folded, candidate)
                guard distance <= max(1, candidate.count / 4) else { continue }
                if distance < best.distance { best = (distance, [index]) } else if distance == best.distance { best.terms.insert(index) }
            }
        }
        if best.terms.count == 1 { return terms[best.terms.first!] }
        guard best.terms.isEmpty, folded.count >= 3 else { return nil }
        func only(_ matches: (String) -> Bool) -> Term? {
            let found = terms.filter { term in term.names.contains { matches(Self.key($0)) } }
            return found.count == 1 ? found[0] : nil
        }
        return only { $0.hasPrefix(folded) } ?? only { $0.contains(folded) }
    }

    /// Text as compared: folded, and trimmed of surrounding spaces.
    static func key(_ text: String) -> String {
        TextFolding.fold(text).trimmingCharacters(in: .whitespaces)
    }

    /// "a" or "an" before `noun`.
    static func article(_ noun: String) -> String {
        guard let first = noun.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    /// The Levenshtein distance between two strings, by characters.
    /// - Complexity: O(m·n) time, O(n) memory; names are at most a few hundred bytes.
    public static func editDistance(_ left: String, _ right: String) -> Int {
        let source = Array(left)
        let target = Array(right)
        if source.isEmpty { return target.count }
        if target.isEmpty { return source.count }
        var previous = Array(0...target.count)
        var current = [Int](repeating: 0, count: target.count + 1)
        for (row, character) in source.enumerated() {
            current[0] = row + 1
            for column in 1...target.count {
                let substitution = previous[column - 1] + (character == target[column - 1] ? 0 : 1)
                current[column] = min(substitution, previous[column] + 1, current[column - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[target.count]
    }
}

extension Taxonomy {
    /// The themes by id and Dutch label.
    public var themeVocabulary: Vocabulary { Vocabulary(noun: "theme", terms: themes.map { .init(id: $0.id, label: $0.label) }) }

    /// The disciplines by id and Dutch label.
    public var disciplineVocabulary: Vocabulary {
        Vocabulary(noun: "discipline", terms: disciplines.map { .init(id: $0.id, label: $0.label) })
    }

    /// The levels by id and label.
    public var levelVocabulary: Vocabulary { Vocabulary(noun: "level", terms: levels.map { .init(id: $0.id, label: $0.label) }) }

    /// The institutions by id and name.
    public var institutionVocabulary: Vocabulary {
        Vocabulary(noun: "institution of \(cityLabel)", terms: institutions.map { .init(id: $0.id, label: $0.label) })
    }

    /// The districts and their wijken by id and name, each district followed by its wijken.
    public var placeVocabulary: Vocabulary {
        Vocabulary(noun: "district or wijk of \(cityLabel)", terms: districts.flatMap { district in
            [Vocabulary.Term(id: district.id, label: district.label)] + district.wijken.map { .init(id: $0.id, label: $0.label) }
        })
    }

    /// The district or wijk `reference` names.
    /// - Throws: a validation error on `field` with the known places and any near miss.
    public func requirePlace(_ reference: String, field: String) throws(DomainError) -> Place {
        // By id first: the vocabulary (every district and wijk, with labels) is built only for a label or a miss.
        if let place = place(reference) { return place }
        let vocabulary = placeVocabulary
        guard let place = vocabulary.term(reference).flatMap({ place($0.id) }) else {
            throw vocabulary.refusal(reference, field: field)
        }
        return place
    }
}

extension DomainState {
    /// The periods offers use, by label (or `from..to` for one without), in order of first use.
    public var periodVocabulary: Vocabulary {
        var seen: Set<String> = []
        var terms: [Vocabulary.Term] = []
        for offer in EntityID.sorted(offers.keys).compactMap({ offers[$0] }) {
            let name = offer.period.name
            if seen.insert(Vocabulary.key(name)).inserted { terms.append(Vocabulary.Term(id: name)) }
        }
        return Vocabulary(noun: "period in use", terms: terms)
    }

    /// Checks that `reference` names a period in use (an offer's period label, folded) or is a date (which
    /// selects the periods and windows around it, if any).
    /// - Throws: a validation error on `field` naming the periods in use and any near miss.
    public func requirePeriod(_ reference: String, field: String) throws(DomainError) {
        if DateWindow.isDate(reference) { return }
        let vocabulary = periodVocabulary
        if vocabulary.term(reference) == nil { throw vocabulary.refusal(reference, field: field) }
    }
}
