import Foundation
import LoomMedia
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// Prompts as text and media chunks: splitting token ids at marker tokens, and the one prefill that runs them.
@Suite("Multimodal prompts as chunks")
struct MultimodalPromptTests {
    static let image = MediaMarker(token: "<image>", id: 5, kind: .image)
    static let audio = MediaMarker(token: "<|audio|>", id: 9, kind: .audio)

    /// `rows` x `width` embeddings whose values name their item and row.
    func media(_ kind: MediaEmbeddings.Kind, rows: Int, width: Int = 4, seed: Int = 0) throws -> MediaEmbeddings {
        try MediaEmbeddings(kind: kind, embeddings: Tensor(shape: [rows, width], data: (0..<(rows * width)).map { Float(seed * 1000 + $0) }))
    }

    @Test func markersAtTheStartAndTheEnd() throws {
        let first = try media(.image, rows: 2, seed: 1), second = try media(.image, rows: 1, seed: 2)
        let prompt = try MultimodalPrompt(ids: [5, 5, 1, 2, 5], markers: [Self.image], media: [first, second])
        #expect(prompt.chunks == [.media(first, rows: 0..<2), .text([1, 2]), .media(second, rows: 0..<1)])
        #expect(prompt.ids == [5, 5, 1, 2, 5] && prompt.tokenCount == 5)
    }

    /// Images fill image markers and audio fills audio markers, each in order; an image laid out as two runs
    /// (two Idefics3 tiles) fills both before the next image starts.
    @Test func severalImagesAndAudioInOrder() throws {
        let tiled = try media(.image, rows: 4, seed: 1), single = try media(.image, rows: 2, seed: 2)
        let clip = try media(.audio, rows: 3, seed: 3)
        let ids = [1, 5, 5, 2, 9, 9, 9, 3, 5, 5, 4, 5, 5]
        let prompt = try MultimodalPrompt(ids: ids, markers: [Self.image, Self.audio], media: [tiled, clip, single])
        #expect(prompt.chunks == [
            .text([1]), .media(tiled, rows: 0..<2), .text([2]), .media(clip, rows: 0..<3), .text([3]),
            .media(tiled, rows: 2..<4), .text([4]), .media(single, rows: 0..<2),
        ])
        #expect(prompt.chunks.map(\.tokenCount).reduce(0, +) == ids.count)
    }

    /// Two items back to back share one run of markers: the run is cut where the first item's rows end.
    @Test func adjacentItemsSplitOneRun() throws {
        let first = try media(.audio, rows: 1, seed: 1), second = try media(.audio, rows: 2, seed: 2)
        let prompt = try MultimodalPrompt(ids: [9, 9, 9, 7], markers: [Self.audio], media: [first, second])
        #expect(prompt.chunks == [.media(first, rows: 0..<1), .media(second, rows: 0..<2), .text([7])])
    }

    @Test func textOnly() throws {
        #expect(try MultimodalPrompt(ids: [1, 2, 3], markers: [Self.image, Self.audio], media: []).chunks == [.text([1, 2, 3])])
        #expect(try MultimodalPrompt(ids: [1, 5, 3], markers: [], media: []).chunks == [.text([1, 5, 3])])
        #expect(try MultimodalPrompt(ids: [], markers: [Self.image], media: []).chunks.isEmpty)
    }

    @Test func aMarkerWithoutMedia() throws {
        do {
            _ = try MultimodalPrompt(ids: [1, 5, 5, 2], markers: [Self.image], media: [])
            Issue.record("markers without an image were accepted")
        } catch let error as MultimodalPromptError {
            #expect(error == .markerWithoutMedia(marker: "<image>", kind: .image, markers: 2, items: 0, rows: 0))
            #expect(error.description.contains("2 <image> tokens") && error.description.contains("no image was given"), "\(error)")
        }
        do {  // one image too few: 3 markers, 2 rows
            _ = try MultimodalPrompt(ids: [5, 5, 1, 5], markers: [Self.image], media: [try media(.image, rows: 2)])
            Issue.record("a marker without rows was accepted")
        } catch let error as MultimodalPromptError {
            #expect(error == .markerWithoutMedia(marker: "<image>", kind: .image, markers: 3, items: 1, rows: 2))
            #expect(error.description.contains("the 1 image gives 2 embedding rows"), "\(error)")
        }
    }

    @Test func mediaWithoutAMarker() throws {
        do {
            _ = try MultimodalPrompt(ids: [1, 2], markers: [Self.image], media: [try media(.image, rows: 2)])
            Issue.record("an image without markers was accepted")
        } catch let error as MultimodalPromptError {
            #expect(error == .mediaWithoutMarker(kind: .image, marker: "<image>", markers: 0, items: 1, rows: 2))
            #expect(error.description.contains("0 <image> tokens"), "\(error)")
        }
        do {  // the second clip has no markers left
            _ = try MultimodalPrompt(ids: [9, 9], markers: [Self.audio], media: [try media(.audio, rows: 2), try media(.audio, rows: 1)])
            Issue.record("an audio clip without markers was accepted")
        } catch let error as MultimodalPromptError {
            #expect(error == .mediaWithoutMarker(kind: .audio, marker: "<|audio|>", markers: 2, items: 2, rows: 3))
            #expect(error.description.contains("2 audio clips give 3"), "\(error)")
        }
        do {  // audio for a model that has only an image marker
            _ = try MultimodalPrompt(ids: [5, 1], markers: [Self.image], media: [try media(.image, rows: 1), try media(.audio, rows: 1)])
            Issue.record("audio reached a model without an audio marker")
        } catch let error as MultimodalPromptError {
            #expect(error == .mediaWithoutMarker(kind: .audio, marker: nil, markers: 0, items: 1, rows: 0))
            #expect(error.description.contains("takes no audio"), "\(error)")
        }
    }

    @Test func embeddingsThatAreNotRowsAndMarkersThatOverlap() throws {
        for shape in [[0, 4], [3, 0], [12], [1, 3, 4]] {
            #expect(throws: MultimodalPromptError.notRows(kind: .image, shape: shape)) {
                try MediaEmbeddings(kind: .image, embeddings: Tensor(zeros: shape))
            }
        }
        let sameID = MediaMarker(token: "<audio>", id: 5, kind: .audio)
        #expect(throws: MultimodalPromptError.overlappingMarkers("<image>", "<audio>")) {
            try MultimodalPrompt(ids: [1], markers: [Self.image, sameID], media: [])
        }
        let sameKind = MediaMarker(token: "<img>", id: 6, kind: .image)
        #expect(throws: MultimodalPromptError.overlappingMarkers("<image>", "<img>")) {
            try MultimodalPrompt(ids: [1], markers: [Self.image, sameKind], media: [])
        }
    }

    // MARK: - The prefill

    /// The prompt's rows written by hand: token embeddings with media rows at the marker positions.
    func handMadeEmbeddings(_ model: LlamaModel, ids: [Int], rowsAt: [Int: [Float]]) throws -> Tensor {
        var embeddings = try model.embed(ids)
        let width = model.config.hiddenSize
        for (position, row) in rowsAt { embeddings.data.replaceSubrange((position * width)..<((position + 1) * width), with: row) }
        return embeddings
    }

    /// On a tiny Llama: a text-only prompt is `forward(tokens:)`, and text with image and audio rows between
    /// is `forward(embeddings:)` of the same rows placed by hand, to the bit.
    @Test func prefillPlacesTextAndMediaRowsInOrder() throws {
        let model = try LlamaModel(url: Fixtures.url("llama/tiny-untied"))
        let width = model.config.hiddenSize
        let ids = [3, 40, 40, 7, 42, 42, 42, 8, 40, 9]
        let textOnly = try MultimodalPrompt(ids: ids, markers: [], media: [])
        let textLogits = try model.makeSession().forward(prompt: textOnly, allLogits: true)
        #expect(maxAbsDiff(textLogits.data, try model.makeSession().forward(tokens: ids, allLogits: true).data) == 0)

        let markers = [MediaMarker(token: "<image>", id: 40, kind: .image), MediaMarker(token: "<audio>", id: 42, kind: .audio)]
        let values = { (rows: Int, seed: Double) in (0..<(rows * width)).map { Float(sin(seed + Double($0) * 0.37)) } }
        let image = try MediaEmbeddings(kind: .image, embeddings: Tensor(shape: [3, width], data: values(3, 1)))
        let clip = try MediaEmbeddings(kind: .audio, embeddings: Tensor(shape: [3, width], data: values(3, 2)))
        let prompt = try MultimodalPrompt(ids: ids, markers: markers, media: [image, clip])
        #expect(prompt.chunks.count == 7)
        let row = { (media: MediaEmbeddings, r: Int) in Array(media.embeddings.data[(r * width)..<((r + 1) * width)]) }
        let byHand = try handMadeEmbeddings(model, ids: ids, rowsAt: [
            1: row(image, 0), 2: row(image, 1), 8: row(image, 2), 4: row(clip, 0), 5: row(clip, 1), 6: row(clip, 2),
        ])
        let fromChunks = try model.makeSession().forward(prompt: prompt, allLogits: true)
        let fromRows = try model.makeSession().forward(embeddings: byHand, allLogits: true)
        #expect(fromChunks.shape == fromRows.shape && maxAbsDiff(fromChunks.data, fromRows.data) == 0)
    }

    @Test func prefillRefusesWhatDoesNotFitTheLanguageModel() throws {
        let model = try LlamaModel(url: Fixtures.url("llama/tiny-untied"))
        let session = model.makeSession(maxTokens: 8)
        let narrow = try MultimodalPrompt(ids: [1, 5], markers: [Self.image], media: [try media(.image, rows: 1, width: 63)])
        do {
            _ = try session.forward(prompt: narrow)
            Issue.record("63-wide rows ran in a 64-wide model")
        } catch let error as LlamaInputError {
            #expect(error.description.contains("image embeddings are 63 wide") && error.description.contains("takes 64"), "\(error)")
        }
        let badToken = try MultimodalPrompt(ids: [300, 5], markers: [Self.image], media: [try media(.image, rows: 1, width: 64)])
        #expect(throws: LlamaInputError.self) { try session.forward(prompt: badToken) }
        #expect(throws: LlamaInputError.self) { try session.forward(prompt: MultimodalPrompt(ids: [], markers: [], media: [])) }
        #expect(throws: LlamaInputError.self) { try session.forward(prompt: MultimodalPrompt(ids: Array(1...9), markers: [], media: [])) }
        #expect(session.position == 0)
    }

    /// On the seeded tiny Idefics3: the chunked prompt gives the logits and greedy tokens of the splice it
    /// replaced (token embeddings with the connector rows written over the `<image>` positions).
    @Test(arguments: [true, false]) func idefics3ChunksEqualTheSplicedEmbeddings(tiling: Bool) throws {
        let folder = Fixtures.url("idefics3/model")
        let model = try Idefics3Model(folder: folder)
        let processor = try Idefics3Processor(folder: folder, defaultImageSequenceLength: model.config.imageSequenceLength)
        let image = try ImageDecoder().decode(contentsOf: Fixtures.sample("images/chelsea.jpg"))
        let (ids, pixels) = try processor.inputs(image: image, prompt: try processor.chatPrompt("Describe this image."), tiling: tiling)
        let features = try model.embeddings(for: pixels)
        let prompt = try MultimodalPrompt(ids: ids, markers: [model.marker], media: [features])
        let tiles = pixels.shape[0]
        #expect(prompt.chunks.count == 2 * tiles + 1, "text, then each tile's <image> run followed by its separators")
        #expect(prompt.chunks.filter { if case .media = $0 { true } else { false } }.map(\.tokenCount)
            == Array(repeating: model.config.imageSequenceLength, count: tiles))

        let width = model.config.textConfig.hiddenSize
        let slots = ids.indices.filter { ids[$0] == model.config.imageTokenID }
        let spliced = try handMadeEmbeddings(model.language, ids: ids, rowsAt: Dictionary(uniqueKeysWithValues: slots.enumerated().map {
            ($1, Array(features.embeddings.data[($0 * width)..<(($0 + 1) * width)]))
        }))
        let steps = 12
        let before = model.language.makeSession(maxTokens: ids.count + steps)
        let after = model.language.makeSession(maxTokens: ids.count + steps)
        let expected = try before.forward(embeddings: spliced, allLogits: true)
        let logits = try after.forward(prompt: prompt, allLogits: true)
        #expect(logits.shape == expected.shape)
        #expect(maxAbsDiff(logits.data, expected.data) == 0, "all prompt logits equal to the bit")
        var greedyBefore: [Int] = [], greedyAfter: [Int] = []
        var lastBefore = Array(expected.data.suffix(model.config.textConfig.vocabSize)), lastAfter = Array(logits.data.suffix(model.config.textConfig.vocabSize))
        for _ in 0..<steps {
            greedyBefore.append(lastBefore.indices.max { lastBefore[$0] < lastBefore[$1] }!)
            greedyAfter.append(lastAfter.indices.max { lastAfter[$0] < lastAfter[$1] }!)
            lastBefore = try before.decode(greedyBefore.last!)
            lastAfter = try after.decode(greedyAfter.last!)
        }
        #expect(greedyAfter == greedyBefore)
        print("idefics3 chunks (tiling \(tiling)): \(prompt.chunks.count) chunks, greedy \(greedyAfter)")
    }
}
