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
/// flow over the zero-cost edges). Exact among the candidates: each question is given its
/// `candidatesPerQuestionMax` best offers above `minScore`, which bounds the graph; when many questions
/// want the same few offers, one may stay unassigned although a 13th-best offer had a place.
public enum Planner {
    /// Offers considered per question. More makes plans with very tight capacity marginally better and
    /// the flow graph proportionally bigger.
    public static let candidatesPerQuestionMax = 12
    /// Scores are compared at this resolution (integers in the flow).
    static let scoreScale = 1_000.0

    /// Which offers a period covers: its label (case and accents ignored), or dates inside or overlapping
    /// `from`..`to`.
    public enum PeriodReference: Sendable, Hashable {
        case label(String)
        case dates(DateWindow)

        func covers(_ offer: Offer) -> Bool {
            switch self {
            case .label(let label): return offer.period.isNamed(label)
            case .dates(let window): return Matcher.overlapDays(window, offer.period.window) > 0
            }
        }
    }

    /// Plans the open questions (status open) against the published offers of the period with places left.
    public static func plan(
        period: PeriodReference, minScore: Double, state: DomainState, index: MatchingIndex, matcher: Matcher
    ) -> Plan {
        let offers = state.offers.values.filter { $0.status == .published && period.covers($0) }.sorted { EntityID.precedes($0.id, $1.id) }
        // A question that already waits for consent on a proposal is not planned again.
        let questions = state.questions.values.filter { question in
            question.status == .open && !(state.proposalsByQuestion[question.id] ?? []).contains { state.pendingProposals.contains($0) }
        }.sorted { EntityID.precedes($0.id, $1.id) }
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
            let wanted = matcher.conceptWeights(questionSlot, index: index)
            let lessons = matcher.lessons(question: question, index: index)
            let linked = index.linkedOffers[question.id] ?? [:]
            for (position, entry) in offerSlots.enumerated() {
                guard let slot = entry.slot, !Matcher.isExcluded(questionSlot, slot), linked[slot.id] == nil else { continue }
                let values = matcher.slotValues(questionSlot, slot, wanted: wanted, text: search.value(ordinal: entry.ordinal), preference: preference[slot.institution] ?? 0.5,
                                                lesson: lessons.lesson(slot))
                let score = matcher.combined(values)
                // A pair without topical evidence is never planned, whatever its level, period and places.
                if values.topical, score >= minScore { scored.append((position, score)) }
            }
            candidatePairs += scored.count
            scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.offer < $1.offer) }
            candidates.append(Array(scored.prefix(candidatesPerQuestionMax)))
        }
        // Places left: capacity minus agreed and started matches minus proposals still waiting for consent.
        let places = offers.map { offer in
            let pending = (state.proposalsByOffer[offer.id] ?? []).filter { state.pendingProposals.contains($0) }.count
            return max(0, offer.capacity - (index.placesTaken[offer.id] ?? 0) - pending)
        }
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
        var arcs: [(from: Int, to: Int, capacity: Int, cost: Int)] = []
        let questions = candidates.count
        let source = 0, sink = questions + places.count + 1
        for (question, options) in candidates.enumerated() {
            arcs.append((source, 1 + question, 1, 0))
            for option in options where places[option.offer] > 0 {
                arcs.append((1 + question, 1 + questions + option.offer, 1, -Int((option.score * scoreScale).rounded())))
            }
        }
        for (offer, count) in places.enumerated() where count > 0 { arcs.append((1 + questions + offer, sink, count, 0)) }
        var network = FlowNetwork(nodeCount: sink + 1, arcs: arcs)
        network.maximiseGain(source: source, sink: sink)
        var assignment: [Int?] = Array(repeating: nil, count: questions)
        for edge in 0..<network.edgeCount where network.isForward[edge] && network.capacity[edge] == 0 {
            let from = network.tail[edge], to = network.head[edge]
            if from >= 1 && from <= questions && to > questions && to < sink && network.cost[edge] < 0 { assignment[from - 1] = to - 1 - questions }
        }
        return assignment
    }
}

/// A flow network in compressed adjacency form (each node's edges contiguous), solved for minimum cost
/// (maximum gain) with the primal-dual method: Dijkstra on reduced costs, then a blocking flow over the
/// edges of zero reduced cost. Costs are integers; question→offer edges carry minus the scaled score.
struct FlowNetwork {
    let nodeCount: Int
    /// For node n, its edges are first[n]..<first[n + 1].
    var first: [Int]
    var head: [Int]
    var tail: [Int]
    var capacity: [Int]
    var cost: [Int]
    var reverse: [Int]
    var isForward: [Bool]
    var edgeCount: Int { head.count }

    init(nodeCount: Int, arcs: [(from: Int, to: Int, capacity: Int, cost: Int)]) {
        self.nodeCount = nodeCount
        var degree = Array(repeating: 0, count: nodeCount + 1)
        for arc in arcs {
            degree[arc.from + 1] += 1
            degree[arc.to + 1] += 1
        }
        for node in 0..<nodeCount { degree[node + 1] += degree[node] }
        first = degree
        let total = arcs.count * 2
        head = Array(repeating: 0, count: total)
        tail = Array(repeating: 0, count: total)
        capacity = Array(repeating: 0, count: total)
        cost = Array(repeating: 0, count: total)
        reverse = Array(repeating: 0, count: total)
        isForward = Array(repeating: false, count: total)
        var next = first
        for arc in arcs {
            let forward = next[arc.from]
            next[arc.from] += 1
            let backward = next[arc.to]
            next[arc.to] += 1
            head[forward] = arc.to; tail[forward] = arc.from; capacity[forward] = arc.capacity; cost[forward] = arc.cost
            reverse[forward] = backward; isForward[forward] = true
            head[backward] = arc.from; tail[backward] = arc.to; capacity[backward] = 0; cost[backward] = -arc.cost
            reverse[backward] = forward
        }
    }

    /// Pushes flow along shortest (most negative) paths while they gain, a phase at a time.
    mutating func maximiseGain(source: Int, sink: Int) {
        // Initial potentials: shortest distances in the DAG source → questions → offers → sink (every
        // question is at 0; an offer at its cheapest incoming edge; the sink at the cheapest offer).
        var potential = Array(repeating: 0, count: nodeCount)
        for edge in 0..<edgeCount where isForward[edge] && tail[edge] != source && head[edge] != sink {
            potential[head[edge]] = min(potential[head[edge]], cost[edge])
        }
        for edge in first[sink]..<first[sink + 1] { potential[sink] = min(potential[sink], potential[head[edge]]) }
        let unreachable = Int.max / 4
        var distance = Array(repeating: unreachable, count: nodeCount)
        var heap = MinHeap()
        while true {
            for node in 0..<nodeCount { distance[node] = unreachable }
            distance[source] = 0
            heap.push((0, source))
            while let (current, node) = heap.pop() {
                if current > distance[node] { continue }
                for edge in first[node]..<first[node + 1] where capacity[edge] > 0 {
                    let target = head[edge]
                    let next = current + cost[edge] + potential[node] - potential[target]
                    if next < distance[target] {
                        distance[target] = next
                        heap.push((next, target))
                    }
                }
            }
            guard distance[sink] < unreachable else { return }
            for node in 0..<nodeCount { potential[node] += min(distance[node], distance[sink]) }
            // The path cost in real terms; stop once another unit of flow would not gain.
            guard potential[sink] - potential[source] < 0 else { return }
            blockingFlow(source: source, sink: sink, potential: potential)
        }
    }

    /// Saturates every source→sink path made of zero-reduced-cost edges (Dinic levels keep it acyclic).
    mutating func blockingFlow(source: Int, sink: Int, potential: [Int]) {
        var level = Array(repeating: -1, count: nodeCount)
        var queue: [Int] = []
        queue.reserveCapacity(nodeCount)
        while true {
            for node in 0..<nodeCount { level[node] = -1 }
            level[source] = 0
            queue.removeAll(keepingCapacity: true)
            queue.append(source)
            var position = 0
            while position < queue.count {
                let node = queue[position]
                position += 1
                for edge in first[node]..<first[node + 1] where capacity[edge] > 0 && level[head[edge]] < 0
                    && cost[edge] + potential[node] - potential[head[edge]] == 0 {
                    level[head[edge]] = level[node] + 1
                    queue.append(head[edge])
                }
            }
            guard level[sink] >= 0 else { return }
            var nextEdge = Array(first.prefix(nodeCount))
            while augment(source, sink: sink, potential: potential, level: level, nextEdge: &nextEdge) {}
        }
    }

    /// One unit along a level-increasing admissible path (every source edge carries 1).
    mutating func augment(_ node: Int, sink: Int, potential: [Int], level: [Int], nextEdge: inout [Int]) -> Bool {
        if node == sink { return true }
        while nextEdge[node] < first[node + 1] {
            let edge = nextEdge[node]
            let target = head[edge]
            if capacity[edge] > 0, level[target] == level[node] + 1, cost[edge] + potential[node] - potential[target] == 0,
                augment(target, sink: sink, potential: potential, level: level, nextEdge: &nextEdge)
            {
                capacity[edge] -= 1
                capacity[reverse[edge]] += 1
                return true
            }
            nextEdge[node] += 1
        }
        return false
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
