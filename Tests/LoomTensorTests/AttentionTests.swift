import LoomTensor
import Testing

/// Two GEMMs around a softmax: 1e-4 abs against torch.
@Suite struct AttentionTests {
    let tolerance: Float = 1e-4

    @Test func handComputed() {
        // One head, two keys. Query 0 sees only key 0 under the causal mask; query 1 sees both,
        // with equal scores (q = 0), so it averages the values.
        let q = Tensor(shape: [1, 2, 2], data: [5, 5, 0, 0])
        let k = Tensor(shape: [1, 2, 2], data: [1, 0, 0, 1])
        let v = Tensor(shape: [1, 2, 1], data: [2, 4])
        let causal = Tensor.scaledDotProductAttention(query: q, key: k, value: v, causal: true)
        #expect(causal == Tensor(shape: [1, 2, 1], data: [2, 3]))
        // Without the mask query 0 also scores 5/sqrt(2) on key 1: equal again, so the mean.
        let full = Tensor.scaledDotProductAttention(query: q, key: k, value: v)
        #expect(full == Tensor(shape: [1, 2, 1], data: [3, 3]))
        // A KV cache with one earlier position: the single query (offset 1) sees both keys.
        let step = Tensor.scaledDotProductAttention(
            query: Tensor(shape: [1, 1, 2], data: [0, 0]), key: k, value: v, causal: true, offset: 1)
        #expect(step == Tensor(shape: [1, 1, 1], data: [3]))
    }

    @Test func matchesTorch() throws {
        let q = try KernelFixtures.tensor("attn_q"), k = try KernelFixtures.tensor("attn_k"), v = try KernelFixtures.tensor("attn_v")
        expectClose(Tensor.scaledDotProductAttention(query: q, key: k, value: v), try KernelFixtures.tensor("attn_out"), tolerance: tolerance, "sdpa gqa")
        expectClose(
            Tensor.scaledDotProductAttention(query: q, key: k, value: v, causal: true),
            try KernelFixtures.tensor("attn_causal_out"), tolerance: tolerance, "sdpa gqa causal")
        let cached = Tensor.scaledDotProductAttention(
            query: try KernelFixtures.tensor("attn_cache_q"), key: try KernelFixtures.tensor("attn_cache_k"),
            value: try KernelFixtures.tensor("attn_cache_v"), causal: true, offset: 4, scale: 0.3)
        expectClose(cached, try KernelFixtures.tensor("attn_cache_out"), tolerance: tolerance, "sdpa kv cache offset 4")
    }
}
