import AsyncHTTPClient
import Foundation
import LMDSNotify
import NIOCore
import NIOHTTP1

/// The webhooks' HTTP: a blocking POST through AsyncHTTPClient's shared client, for LMDSNotify's loop.
enum WebhookHTTP {
    /// How long one POST may take.
    static let timeoutSeconds: Int64 = 10
    /// The part of a failure kept as its reason (`notification.record` takes at most 500 bytes).
    static let reasonBytesMax = 300
    /// The receiver's answer is read (AsyncHTTPClient needs it consumed) up to this size, then dropped.
    static let responseBytesMax = 1 << 16

    /// Holds the answer the task writes and the waiting thread reads after the semaphore.
    final class Answer: @unchecked Sendable {
        var failure: String?
    }

    static let post: Webhooks.Poster = { url, body, headers in
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        Task {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(body)
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeoutSeconds))
                _ = try await response.body.collect(upTo: responseBytesMax)
                if !(200..<300).contains(response.status.code) { answer.failure = "HTTP \(response.status.code)" }
            } catch {
                answer.failure = String(String(describing: error).utf8.prefix(reasonBytesMax)) ?? "the POST failed"
            }
            done.signal()
        }
        done.wait()
        return answer.failure
    }
}
