import Testing
@testable import LMDSCore

/// The reply cache's own rules: what it keeps, what an invalidation drops, and the epoch that keeps a
/// result rendered before a change from being stored after it.
@Suite struct ReplyCacheUnitTests {
    static func key(_ id: String, _ kind: ReplyCache.Kind = .question, contact: Bool = false) -> ReplyCache.Key {
        ReplyCache.Key(kind: kind, id: id, withContact: contact)
    }

    @Test func storesAResultRenderedAtTheCurrentEpoch() {
        let cache = ReplyCache()
        cache.store([1, 2, 3], for: Self.key("Q-0001"), renderedAt: cache.epoch)
        #expect(cache.result(Self.key("Q-0001")) == [1, 2, 3])
        #expect(cache.result(Self.key("Q-0001", .offer)) == nil)
        #expect(cache.result(Self.key("Q-0001", contact: true)) == nil)
    }

    @Test func refusesAResultRenderedBeforeAnInvalidation() {
        let cache = ReplyCache()
        let epoch = cache.epoch
        cache.invalidate(["Q-0002"], personalData: false)
        cache.store([1], for: Self.key("Q-0001"), renderedAt: epoch)
        #expect(cache.result(Self.key("Q-0001")) == nil)
        #expect(cache.count == 0)
    }

    @Test func invalidationDropsTheNamedEntitiesOfEveryKindAndView() {
        let cache = ReplyCache()
        for key in [Self.key("Q-0001"), Self.key("Q-0001", contact: true), Self.key("Q-0002"), Self.key("O-0001", .offer)] {
            cache.store([7], for: key, renderedAt: cache.epoch)
        }
        cache.invalidate(["Q-0001", "O-0001"], personalData: false)
        #expect(cache.result(Self.key("Q-0001")) == nil)
        #expect(cache.result(Self.key("Q-0001", contact: true)) == nil)
        #expect(cache.result(Self.key("O-0001", .offer)) == nil)
        #expect(cache.result(Self.key("Q-0002")) == [7])
    }

    @Test func personalDataDropsEveryResultWithContactDetailsOnly() {
        let cache = ReplyCache()
        cache.store([1], for: Self.key("Q-0001", contact: true), renderedAt: cache.epoch)
        cache.store([2], for: Self.key("O-0003", .offer, contact: true), renderedAt: cache.epoch)
        cache.store([3], for: Self.key("Q-0001"), renderedAt: cache.epoch)
        cache.invalidate([], personalData: true)
        #expect(cache.count == 1)
        #expect(cache.result(Self.key("Q-0001")) == [3])
    }

    @Test func aFullCacheStartsEmptyAgainAndStaysBounded() {
        let cache = ReplyCache(entriesMax: 3)
        for index in 1...10 {
            cache.store([UInt8(index)], for: Self.key("Q-\(index)"), renderedAt: cache.epoch)
            #expect(cache.count <= 3)
        }
        #expect(cache.result(Self.key("Q-10")) == [10])
    }

    @Test func removeAllDropsEverythingAndMovesTheEpoch() {
        let cache = ReplyCache()
        let epoch = cache.epoch
        cache.store([1], for: Self.key("Q-0001"), renderedAt: epoch)
        cache.removeAll()
        #expect(cache.count == 0)
        #expect(cache.epoch != epoch)
    }
}
