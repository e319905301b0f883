//! Semantic lints beside the meta-schema: warnings for what the generated code would silently
//! not do (a message no operation uses, a keyword no validation enforces, a `required` name
//! with no property), each at its place. Contradictions are errors (`specs/invalid/contradictions.yaml`).

use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;

const SPEC: &str = r#"
asyncapi: 3.0.0
info: {title: lints, version: 1.0.0}
channels:
  chat:
    address: /ws/chat
    messages:
      say:
        payload:
          type: object
          properties:
            action: {const: say}
            payload:
              type: object
              required: [text, colour]
              properties:
                text: {type: string}
              if: {properties: {text: {const: a}}}
              then: {required: [text]}
              minProperties: 1
      forgotten:
        payload:
          type: object
          properties:
            action: {const: forgotten}
operations:
  handle_say:
    action: receive
    channel: {$ref: '#/channels/chat'}
    messages: [{$ref: '#/channels/chat/messages/say'}]
"#;

#[test]
fn what_the_generated_code_would_not_do_is_warned_about_at_its_place() {
    let spec = Spec::from_text("lints.yaml", SPEC).expect("the spec parses");
    let ir = ir::build(&spec, &IrOptions::default()).expect("warnings do not stop generation");
    let warnings: Vec<String> =
        ir.warnings.iter().map(|w| format!("{}: {}", w.location.pointer, w.message)).collect();
    let has = |pointer: &str, text: &str| warnings.iter().any(|w| w.starts_with(pointer) && w.contains(text));
    let say = "/channels/chat/messages/say/payload/properties/payload";
    assert!(
        has(&format!("{say}/required:"), "`required` names `colour`, which is not in `properties`"),
        "{warnings:#?}"
    );
    assert!(has(&format!("{say}/if:"), "`if` is not enforced"), "{warnings:#?}");
    assert!(has(&format!("{say}/then:"), "`then` is not enforced"), "{warnings:#?}");
    assert!(has(&format!("{say}/minProperties:"), "`minProperties` is not enforced"), "{warnings:#?}");
    assert!(
        has(
            "/channels/chat/messages/forgotten",
            "message `forgotten` of channel `chat` is used by no operation"
        ),
        "{warnings:#?}"
    );
}
