import FuzzSupport
import Foundation
import LoomTokenizers

/// A Jinja2 chat template (tokenizer_config.json's or GGUF's `chat_template`), parsed and rendered
/// with a system/user/assistant conversation, plain text and vision parts, as `loom generate --chat`
/// and the SmolVLM prompt builder render it.
let conversations: [[ChatMessage]] = [
    [ChatMessage(role: "system", content: "You are brief."), ChatMessage(role: "user", content: "Hi <b>there</b>"),
     ChatMessage(role: "assistant", content: "Hello."), ChatMessage(role: "user", content: "Why?")],
    [ChatMessage(role: "user", parts: [.image, .text("What is in this image?")])],
    [],
]
let extra: [String: TemplateValue] = ["bos_token": .string("<s>"), "eos_token": .string("</s>")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatTemplate(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    do {
        let template = try ChatTemplate(source: Fuzz.text(Fuzz.data(bytes, count)))
        for messages in conversations {
            do { _ = try template.render(messages: messages, addGenerationPrompt: true, extra: extra) } catch { Fuzz.note(error) }
        }
    } catch {
        Fuzz.note(error)
    }
    return 0
}
