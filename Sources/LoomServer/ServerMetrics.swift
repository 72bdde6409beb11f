import Foundation
import Hummingbird
import LoomGeneration
import Prometheus

/// `/metrics` in Prometheus' text format (swift-prometheus): requests by route and status, requests
/// processing and waiting per model, and the work done, as totals a scraper turns into rates
/// (tokens/s = rate(loom_generated_tokens_total) / rate(loom_generation_seconds_total); likewise
/// audio seconds/s).
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    func request(method: String, route: String, status: Int) {
        registry.makeCounter(name: "loom_requests_total", labels: [("method", method), ("route", route), ("status", String(status))],
                             help: "HTTP requests answered").increment()
    }

    func generated(_ result: GenerationResult, model: String) {
        let labels = [("model", model)]
        registry.makeCounter(name: "loom_prompt_tokens_total", labels: labels, help: "Prompt tokens read").increment(by: Int64(result.stats.promptTokens))
        registry.makeCounter(name: "loom_generated_tokens_total", labels: labels, help: "Tokens generated").increment(by: Int64(result.stats.generatedTokens))
        registry.makeCounter(name: "loom_prompt_seconds_total", labels: labels, help: "Seconds spent reading prompts").increment(by: result.stats.promptSeconds)
        registry.makeCounter(name: "loom_generation_seconds_total", labels: labels, help: "Seconds spent generating tokens").increment(by: result.stats.decodeSeconds)
        registry.makeGauge(name: "loom_decode_tokens_per_second", labels: labels, help: "Decode speed of the last request")
            .set(result.stats.decodeTokensPerSecond)
    }

    func transcribed(audioSeconds: Double, elapsed: Duration, model: String) {
        let labels = [("model", model)]
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        registry.makeCounter(name: "loom_audio_seconds_total", labels: labels, help: "Seconds of audio transcribed").increment(by: audioSeconds)
        registry.makeCounter(name: "loom_transcription_seconds_total", labels: labels, help: "Seconds spent transcribing").increment(by: seconds)
    }

    /// The text of a scrape, with each queue's current load.
    func scrape(_ queues: [WorkQueue]) -> String {
        for queue in queues {
            let labels = [("model", queue.name)]
            let running = queue.running
            registry.makeGauge(name: "loom_requests_processing", labels: labels, help: "Requests a model is working on").set(Double(running))
            registry.makeGauge(name: "loom_requests_waiting", labels: labels, help: "Requests waiting for a model")
                .set(Double(max(0, queue.load - running)))
        }
        return registry.emitToString()
    }
}

/// Counts every answer by its route pattern (not the raw path, so item ids do not make new series).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: Int(response.status.code))
        return response
    }
}
