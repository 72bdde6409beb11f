import Foundation
import Hummingbird
@testable import LoomServer
import LoomTestSupport
import NIOCore
import Testing

/// The parsers between a request's bytes and a model call: each bad input is a 4xx `APIError`
/// that says what was wrong, never a crash.
@Suite("Server request parsing")
struct RequestParsingTests {
    static func multipart(_ body: String, boundary: String = "XYZ") throws -> MultipartForm {
        try MultipartForm(body: Data(body.utf8), contentType: "multipart/form-data; boundary=\(boundary)")
    }

    static func apiError(_ body: () throws -> Void) -> APIError? {
        do {
            try body()
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("not an APIError: \(error)")
            return nil
        }
    }

    @Test("multipart: fields, a file with its name and type, repeated fields")
    func multipartParts() throws {
        let form = try Self.multipart(
            "--XYZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-tiny.en\r\n"
                + "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--\r\n"
                + "--XYZ\r\nContent-Disposition: form-data; name=\"timestamp_granularities[]\"\r\n\r\nsegment\r\n"
                + "--XYZ\r\nContent-Disposition: form-data; name=\"timestamp_granularities[]\"\r\n\r\nword\r\n--XYZ--\r\n")
        #expect(form.field("model") == "whisper-tiny.en")
        #expect(form.part("file")?.filename == "a.wav")
        #expect(form.part("file")?.contentType == "audio/wav")
        // A CRLF and dashes inside a part's data are data, not a boundary.
        #expect(form.part("file")?.data == Data("RIFF\r\n--".utf8))
        #expect(form.fields("timestamp_granularities[]") == ["segment", "word"])
    }

    @Test("multipart: malformed bodies are 400s saying what is wrong", arguments: [
        ("", "no part"),
        ("--XYZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", "no closing boundary"),
        ("--XYZ\r\nContent-Disposition: form-data; name=\"file\"", "no end of its headers"),
        ("--XYZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XYZ--", "no Content-Disposition name"),
        ("--XYZjunk", "malformed after a boundary"),
    ])
    func malformedMultipart(body: String, reason: String) {
        let error = Self.apiError { _ = try Self.multipart(body) }
        #expect(error?.status == .badRequest)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("multipart: a body that is not multipart, or has no boundary, is a 400")
    func notMultipart() {
        let json = Self.apiError { _ = try MultipartForm(body: Data("{}".utf8), contentType: "application/json") }
        #expect(json?.message.contains("multipart/form-data") == true)
        let noBoundary = Self.apiError { _ = try MultipartForm(body: Data(), contentType: "multipart/form-data") }
        #expect(noBoundary?.message.contains("boundary") == true)
    }

    @Test("byte ranges: the forms players send, and the ones that cannot be served")
    func byteRanges() {
        #expect(LoomServer.byteRange("bytes=0-4", size: 10) == 0..<5)
        #expect(LoomServer.byteRange("bytes=5-", size: 10) == 5..<10)
        #expect(LoomServer.byteRange("bytes=-3", size: 10) == 7..<10)
        #expect(LoomServer.byteRange("bytes=8-100", size: 10) == 8..<10)
        #expect(LoomServer.byteRange("bytes=-100", size: 10) == 0..<10)
        for bad in ["bytes=10-", "bytes=5-2", "bytes=a-b", "items=0-1", "bytes=0-1,3-4", "bytes=-0", "bytes=-", "bytes=99999999999999999999-"] {
            #expect(LoomServer.byteRange(bad, size: 10) == nil, "\(bad)")
        }
        #expect(LoomServer.byteRange("bytes=0-0", size: 0) == nil)
    }

    @Test("JSON bodies: a wrong type or a missing field names the field")
    func jsonErrors() {
        let missing = Self.apiError { _ = try JSON.decode(ChatRequest.self, from: ByteBuffer(string: "{\"model\":\"m\"}")) }
        #expect(missing?.message == "missing required field 'messages'")
        let wrongType = Self.apiError { _ = try JSON.decode(ChatRequest.self, from: ByteBuffer(string: "{\"messages\":\"hi\"}")) }
        #expect(wrongType?.message.contains("'messages'") == true)
        let nested = Self.apiError {
            _ = try JSON.decode(ChatRequest.self, from: ByteBuffer(string: "{\"messages\":[{\"content\":\"hi\"}]}"))
        }
        #expect(nested?.message == "missing required field 'messages[0].role'")
        let notJSON = Self.apiError { _ = try JSON.decode(ChatRequest.self, from: ByteBuffer(string: "{nope")) }
        #expect(notJSON?.message == "the body is not valid JSON")
        let badPrompt = Self.apiError { _ = try JSON.decode(CompletionRequest.self, from: ByteBuffer(string: "{\"prompt\":{}}")) }
        #expect(badPrompt?.message.contains("'prompt'") == true)
    }

    @Test("prompts and embedding inputs: text, texts, token ids, lists of token ids")
    func inputForms() throws {
        func prompt(_ json: String) throws -> CompletionRequest.Prompt {
            try JSON.decode(CompletionRequest.self, from: ByteBuffer(string: "{\"prompt\":\(json)}")).prompt
        }
        guard case .texts(["a"]) = try prompt("\"a\""), case .texts(["a", "b"]) = try prompt("[\"a\",\"b\"]"),
              case .tokens([[1, 2]]) = try prompt("[1,2]"), case .tokens([[1], [2, 3]]) = try prompt("[[1],[2,3]]") else {
            Issue.record("a prompt form decoded wrongly")
            return
        }
        func input(_ json: String) throws -> EmbeddingRequest.Input {
            try JSON.decode(EmbeddingRequest.self, from: ByteBuffer(string: "{\"input\":\(json)}")).input
        }
        guard case .texts(["x"]) = try input("\"x\""), case .tokens([[7]]) = try input("[7]") else {
            Issue.record("an embedding input decoded wrongly")
            return
        }
    }

    @Test("sampling settings: bad values are 400s before any model is asked")
    func settings() throws {
        func settings(maxTokens: Int? = nil, temperature: Float? = nil, topP: Float? = nil, n: Int? = nil, stop: [String]? = nil) throws -> GenerationSettings {
            let stops = try stop.map { try JSONDecoder().decode(StopStrings.self, from: JSONEncoder().encode($0)) }
            return try GenerationSettings(maxTokens: maxTokens, temperature: temperature, topP: topP, seed: -1, stop: stops, n: n, defaultMaxTokens: 16)
        }
        let fine = try settings(temperature: 0)
        #expect(fine.maxTokens == 16 && fine.sampling.temperature == 0)
        #expect(try settings().sampling.temperature == 1, "OpenAI's default temperature")
        #expect(try settings().sampling.seed == UInt64.max, "a negative seed keeps its bits")
        #expect(Self.apiError { _ = try settings(maxTokens: 0) }?.param == "max_tokens")
        #expect(Self.apiError { _ = try settings(temperature: -1) }?.status == .badRequest)
        #expect(Self.apiError { _ = try settings(topP: 2) }?.status == .badRequest)
        #expect(Self.apiError { _ = try settings(n: 2) }?.param == "n")
        #expect(Self.apiError { _ = try settings(stop: [""]) }?.param == "stop")
        #expect(Self.apiError { _ = try settings(stop: ["a", "b", "c", "d", "e"]) }?.param == "stop")
    }

    @Test("images: only base64 data: URLs; others and undecodable bytes are clean errors")
    func images() throws {
        let png = try Data(contentsOf: Fixtures.sample("images/hopper.jpg"))
        let image = try LoomServer.decodeImage("data:image/jpeg;base64," + png.base64EncodedString(), param: "p")
        #expect(image.width > 0)
        #expect(Self.apiError { _ = try LoomServer.decodeImage("https://example.com/cat.png", param: "p") }?.status == .badRequest)
        #expect(Self.apiError { _ = try LoomServer.decodeImage("file:///etc/passwd", param: "p") }?.status == .badRequest)
        #expect(Self.apiError { _ = try LoomServer.decodeImage("data:image/png;base64,@@@", param: "p") }?.status == .badRequest)
        do {
            _ = try LoomServer.decodeImage("data:image/png;base64," + Data("not an image".utf8).base64EncodedString(), param: "p")
            Issue.record("no error")
        } catch {
            #expect(APIError.from(error).status == .unsupportedMediaType)
        }
    }

    @Test("content parts: text joined, images collected, unknown part types refused")
    func contentParts() throws {
        let (text, images) = try LoomServer.split(.parts([
            .init(type: "text", text: "a"), .init(type: "image_url", imageURL: .init(url: "data:x")), .init(type: "text", text: "b"),
        ]), at: 0)
        #expect(text == "a\nb" && images == ["data:x"])
        #expect(Self.apiError { _ = try LoomServer.split(.parts([.init(type: "input_audio")]), at: 2) }?.param == "messages[2].content[0]")
        #expect(Self.apiError { _ = try LoomServer.split(.parts([.init(type: "image_url")]), at: 0) }?.status == .badRequest)
    }

    @Test("errors: one shape; 413, 404 and cancellation keep their meaning")
    func errorShape() throws {
        let body = APIError.badRequest("bad", param: "model").body["error"] as? [String: Any]
        #expect(body?["code"] as? Int == 400 && body?["type"] as? String == "invalid_request_error" && body?["param"] as? String == "model")
        #expect(APIError.from(HTTPError(.contentTooLarge)).status == .contentTooLarge)
        #expect(APIError.from(NIOTooManyBytesError(maxBytes: 10)).status == .contentTooLarge, "a chunked body past the limit")
        #expect(APIError.from(HTTPError(.notFound)).type == "not_found_error")
        #expect(APIError.from(CancellationError()).status.code == 499)
        let full = APIError.unavailable("busy", retryAfter: 3).response
        #expect(full.status == .serviceUnavailable && full.headers[.retryAfter] == "3")
    }

    @Test("the queue admits its capacity, then 503s with Retry-After until a place is given back")
    func queueBound() throws {
        let queue = WorkQueue(name: "m", maxWaiting: 1, retryAfterSeconds: 2)
        let first = try queue.admit()
        let second = try queue.admit()
        let refused = Self.apiError { _ = try queue.admit() }
        #expect(refused?.status == .serviceUnavailable && refused?.retryAfter == 2)
        first.release()
        first.release()  // a second release gives back nothing more
        #expect(queue.load == 1)
        let third = try queue.admit()
        #expect(Self.apiError { _ = try queue.admit() } != nil)
        second.release()
        third.release()
        #expect(queue.load == 0)
        do { _ = try queue.admit() }  // dropped without release
        #expect(queue.load == 0, "a dropped ticket gives its place back")
    }

    @Test("queued work runs on the model's own thread, one request at a time, in order")
    func queueRunsInOrder() async throws {
        let queue = WorkQueue(name: "m", maxWaiting: 8, retryAfterSeconds: 1)
        let order = OrderLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await queue.run {
                        order.begin(index)
                        usleep(20_000)  // CPU work with no suspension point, as a model call
                        order.end(index)
                    }
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await group.waitForAll()
        }
        #expect(order.overlapped == false)
        #expect(order.threads.count == 1 && order.threads.first != "main")
    }
}

/// Records whether two pieces of queued work ever ran at once, and on which threads.
final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    private(set) var overlapped = false
    private(set) var threads: Set<String> = []

    func begin(_ index: Int) {
        lock.lock()
        running += 1
        if running > 1 { overlapped = true }
        threads.insert(Thread.current.name ?? "?")
        lock.unlock()
    }

    func end(_ index: Int) {
        lock.lock()
        running -= 1
        lock.unlock()
    }
}

@Suite("Server media root")
struct MediaRootTests {
    @Test("file:// images: only under --media-root, symlinks resolved; everything else refused cleanly")
    func mediaRoot() throws {
        let root = try Fixtures.temporaryDirectory("loom-media-root")
        defer { try? FileManager.default.removeItem(at: root) }
        let inside = root.appendingPathComponent("cat.jpg")
        try FileManager.default.copyItem(at: Fixtures.sample("images/hopper.jpg"), to: inside)
        let escape = root.appendingPathComponent("escape.jpg")
        try FileManager.default.createSymbolicLink(at: escape, withDestinationURL: Fixtures.sample("images/hopper.jpg"))

        #expect(try LoomServer.decodeImage("file://" + inside.path, param: "p", mediaRoot: root).width > 0)
        func status(_ url: String, root: URL? ) -> Int? {
            RequestParsingTests.apiError { _ = try LoomServer.decodeImage(url, param: "p", mediaRoot: root) }.map { Int($0.status.code) }
        }
        #expect(status("file://" + inside.path, root: nil) == 400, "no media root: refused")
        #expect(status("file://" + root.path + "/../" + root.lastPathComponent + "/../../etc/passwd", root: root) == 403)
        #expect(status("file:///etc/passwd", root: root) == 403)
        #expect(status("file://" + escape.path, root: root) == 403, "a symlink out of the root")
        #expect(status("file://" + root.appendingPathComponent("missing.jpg").path, root: root) == 404)
        #expect(status("file://" + root.path, root: root) == 403, "the root itself is no file under it")
    }
}
