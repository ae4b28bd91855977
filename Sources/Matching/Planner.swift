import Domain

/// One pair of a plan: the question, the offer it gets, the score, and the question's runner-up.
public struct PlannedPair: Sendable, Hashable {
    public let question: String
    public let offer: String
    public let score: Double
    /// The best other offer for this question (and its score), when there was one.
    public let runnerUp: (offer: String, score: Double)?

    public static func == (left: PlannedPair, right: PlannedPair) -> Bool {
        left.question == right.question && left.offer == right.offer && left.score == right.score
            && left.runnerUp?.offer == right.runnerUp?.offer && left.runnerUp?.score == right.runnerUp?.score
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(question)
        hasher.combine(offer)
    }
}

/// A plan for a period: which open question goes to which offer.
public struct Plan: Sendable, Hashable {
    public let pairs: [PlannedPair]
    /// The sum of the pairs' scores: the most any assignment within the capacities reaches.
    public let totalScore: Double
    /// Open questions the plan leaves without an offer (no candidate above `minScore`, or no place left).
    public let unassigned: [String]
    /// How many question–offer pairs were considered.
    public let candidatePairs: Int
}

/// The best plan for a period: the assignment of open questions to the period's offers that maximises the
/// total score while no offer takes more questions than it has places (a maximum-weight b-matching, solved
/// exactly as a min-cost flow with the primal-dual method: Dijkstra on reduced costs, then a blocking
/// flow over the zero-cost edges). Each question is given its `candidatesPerQuestionMax` best offers
/// above `minScore`, which bounds the graph.
public enum Planner {
    /// Offers considered per question. More makes plans with very tight capacity marginally better and
    /// the flow graph proportionally bigger.
    public static let candidatesPerQuestionMax = 12
    /// Scores are compared at this resolution (integers in the flow).
    static let scoreScale = 10_000.0

    /// Which offers a period covers: its label (case and accents ignored), or dates inside or overlapping
    /// `from`..`to`.
    public enum PeriodReference: Sendable, Hashable {
        case label(String)
        case dates(DateWindow)

        func covers(_ offer: Offer) -> Bool {
            switch self {
            case .label(let label): return offer.period.label.map { TextFolding.fold($0) == TextFolding.fold(label) } ?? false
            case .dates(let window): return Matcher.overlapDays(window, offer.period.window) > 0
            }
        }
    }

    /// Plans the open questions (status open) against the published offers of the period with places left.
    public static func plan(
        period: PeriodReference, minScore: Double, state: DomainState, index: MatchingIndex, matcher: Matcher
    ) -> Plan {
        let offers = state.offers.values.filter { $0.status == .published && period.covers($0) }.sorted { EntityID.precedes($0.id, $1.id) }
        let questions = state.questions.values.filter { $0.status == .open }.sorted { EntityID.precedes($0.id, $1.id) }
        var candidates: [[(offer: Int, score: Double)]] = []
        var candidatePairs = 0
        let offerSlots = offers.map { offer in (ordinal: index.offerText.ordinal(offer.id) ?? -1, slot: index.offerSlot(offer.id)) }
        for question in questions {
            var scored: [(offer: Int, score: Double)] = []
            guard let questionSlot = index.questionSlot(question.id) else {
                candidates.append([])
                continue
            }
            let search = Matcher.TextSearch(query: index.analyses[question.id]?.terms ?? [:], documents: index.offerText)
            let preference = matcher.preferenceByInstitution(district: question.neighbourhood.district)
            let linked = index.linkedOffers[question.id] ?? [:]
            for (position, entry) in offerSlots.enumerated() {
                guard let slot = entry.slot, !Matcher.isExcluded(questionSlot, slot), linked[slot.id] == nil else { continue }
                let values = matcher.slotValues(questionSlot, slot, text: search.value(ordinal: entry.ordinal), preference: preference[slot.institution] ?? 0.5)
                let score = matcher.combined(values)
                if score >= minScore { scored.append((position, score)) }
            }
            candidatePairs += scored.count
            scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.offer < $1.offer) }
            candidates.append(Array(scored.prefix(candidatesPerQuestionMax)))
        }
        let places = offers.map { max(0, $0.capacity - (index.placesTaken[$0.id] ?? 0)) }
        let assignment = assign(candidates: candidates, places: places)
        var pairs: [PlannedPair] = []
        var unassigned: [String] = []
        var total = 0.0
        for (position, question) in questions.enumerated() {
            guard let chosen = assignment[position] else {
                unassigned.append(question.id)
                continue
            }
            let score = candidates[position].first { $0.offer == chosen }?.score ?? 0
            let runnerUp = candidates[position].first { $0.offer != chosen }.map { (offers[$0.offer].id, $0.score) }
            pairs.append(PlannedPair(question: question.id, offer: offers[chosen].id, score: score, runnerUp: runnerUp))
            total += score
        }
        return Plan(pairs: pairs, totalScore: total, unassigned: unassigned, candidatePairs: candidatePairs)
    }

    /// The maximum-weight assignment: for each question (by position) the offer (by position) it gets, or nil.
    /// `candidates[q]` lists the offers question q may take with their scores; offer o takes at most `places[o]`.
    public static func assign(candidates: [[(offer: Int, score: Double)]], places: [Int]) -> [Int?] {
        var network = FlowNetwork(questions: candidates.count, offers: places.count)
        for (question, options) in candidates.enumerated() {
            network.addEdge(from: network.source, to: network.questionNode(question), capacity: 1, cost: 0)
            for option in options where places[option.offer] > 0 {
                network.addEdge(from: network.questionNode(question), to: network.offerNode(option.offer), capacity: 1,
                                cost: -Int((option.score * scoreScale).rounded()))
            }
        }
        for (offer, count) in places.enumerated() where count > 0 {
            network.addEdge(from: network.offerNode(offer), to: network.sink, capacity: count, cost: 0)
        }
        network.maximiseGain()
        return (0..<candidates.count).map { network.assignedOffer(question: $0) }
    }
}

/// A flow network source → questions → offers → sink, solved for minimum cost (maximum gain) with the
/// primal-dual method. Costs are integers; question→offer edges carry minus the scaled score.
struct FlowNetwork {
    struct Edge {
        let to: Int
        var capacity: Int
        let cost: Int
        let reverse: Int
    }

    let questions: Int
    let offers: Int
    var edges: [[Edge]]

    init(questions: Int, offers: Int) {
        self.questions = questions
        self.offers = offers
        edges = Array(repeating: [], count: questions + offers + 2)
    }

    var source: Int { 0 }
    var sink: Int { questions + offers + 1 }
    func questionNode(_ question: Int) -> Int { 1 + question }
    func offerNode(_ offer: Int) -> Int { 1 + questions + offer }

    mutating func addEdge(from: Int, to: Int, capacity: Int, cost: Int) {
        edges[from].append(Edge(to: to, capacity: capacity, cost: cost, reverse: edges[to].count))
        edges[to].append(Edge(to: from, capacity: 0, cost: -cost, reverse: edges[from].count - 1))
    }

    /// Pushes flow along shortest (most negative) paths while they gain, a phase at a time.
    mutating func maximiseGain() {
        let nodeCount = edges.count
        // Initial potentials: shortest distances in the DAG source → questions → offers → sink.
        var potential = Array(repeating: 0, count: nodeCount)
        for question in 0..<questions {
            for edge in edges[questionNode(question)] where edge.capacity > 0 && edge.to != source {
                potential[edge.to] = min(potential[edge.to], edge.cost)
            }
        }
        for offer in 0..<offers { potential[sink] = min(potential[sink], potential[offerNode(offer)]) }
        let unreachable = Int.max / 4
        while true {
            // Dijkstra on reduced costs (non-negative thanks to the potentials).
            var distance = Array(repeating: unreachable, count: nodeCount)
            distance[source] = 0
            var heap = MinHeap()
            heap.push((0, source))
            while let (current, node) = heap.pop() {
                if current > distance[node] { continue }
                for edge in edges[node] where edge.capacity > 0 {
                    let next = current + edge.cost + potential[node] - potential[edge.to]
                    if next < distance[edge.to] {
                        distance[edge.to] = next
                        heap.push((next, edge.to))
                    }
                }
            }
            guard distance[sink] < unreachable else { return }
            for node in 0..<nodeCount { potential[node] += min(distance[node], distance[sink]) }
            // The path cost in real terms; stop once another unit of flow would not gain.
            guard potential[sink] - potential[source] < 0 else { return }
            blockingFlow(potential: potential)
        }
    }

    /// Saturates every source→sink path made of zero-reduced-cost edges (Dinic levels keep it acyclic).
    mutating func blockingFlow(potential: [Int]) {
        let nodeCount = edges.count
        func admissible(_ node: Int, _ edge: Edge) -> Bool { edge.capacity > 0 && edge.cost + potential[node] - potential[edge.to] == 0 }
        while true {
            var level = Array(repeating: -1, count: nodeCount)
            level[source] = 0
            var queue = [source]
            var head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                for edge in edges[node] where level[edge.to] < 0 && admissible(node, edge) {
                    level[edge.to] = level[node] + 1
                    queue.append(edge.to)
                }
            }
            guard level[sink] >= 0 else { return }
            var nextEdge = Array(repeating: 0, count: nodeCount)
            while augment(source, potential: potential, level: level, nextEdge: &nextEdge) {}
        }
    }

    /// One unit along a level-increasing admissible path (every source edge carries 1).
    mutating func augment(_ node: Int, potential: [Int], level: [Int], nextEdge: inout [Int]) -> Bool {
        if node == sink { return true }
        while nextEdge[node] < edges[node].count {
            let index = nextEdge[node]
            let edge = edges[node][index]
            if edge.capacity > 0, level[edge.to] == level[node] + 1, edge.cost + potential[node] - potential[edge.to] == 0,
                augment(edge.to, potential: potential, level: level, nextEdge: &nextEdge)
            {
                edges[node][index].capacity -= 1
                edges[edge.to][edge.reverse].capacity += 1
                return true
            }
            nextEdge[node] += 1
        }
        return false
    }

    /// The offer a question's unit of flow went to, if any.
    func assignedOffer(question: Int) -> Int? {
        for edge in edges[questionNode(question)] where edge.to > questions && edge.to != sink && edge.capacity == 0 && edge.cost < 0 {
            return edge.to - 1 - questions
        }
        return nil
    }
}

/// A binary min-heap of (distance, node) for Dijkstra.
struct MinHeap {
    private var items: [(Int, Int)] = []

    mutating func push(_ item: (Int, Int)) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].0 < items[parent].0 else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Int, Int)? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count && items[left].0 < items[smallest].0 { smallest = left }
                if right < items.count && items[right].0 < items[smallest].0 { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
