//! The rules of `chanx-gen diff`, table-driven: each case is a pair of spec versions and the
//! effect of going from one to the other. Every schema case runs four ways: on a message the
//! client sends and on one the server sends, old → new and new → old (the mirror effect), and
//! the verdicts must follow DESIGN §10's "who sends decides" table.

use chanx_gen::diff::{self, Effect, Flow, Report, Verdict};
use chanx_gen::ir::{self, Ir, IrOptions, Role};
use chanx_gen::parse::Spec;

/// A spec with a client-sent message `up`, a server-sent message `down` and the shared
/// component schemas `Shared` and `Other` (identical, for `$ref` cases).
fn spec(up: &str, down: &str) -> String {
    spec_with(up, down, "", "")
}

/// Like [`spec`], with extra `components.schemas` entries and extra operation YAML.
fn spec_with(up: &str, down: &str, components: &str, extra: &str) -> String {
    format!(
        r#"asyncapi: 3.0.0
info: {{title: t, version: '1'}}
channels:
  c:
    address: /ws
    messages:
      up:
        payload: {{type: object, properties: {{action: {{const: up}}, payload: {up}}}, required: [payload]}}
      down:
        payload: {{type: object, properties: {{action: {{const: down}}, payload: {down}}}, required: [payload]}}
operations:
  recv:
    action: receive
    channel: {{$ref: '#/channels/c'}}
    messages: [{{$ref: '#/channels/c/messages/up'}}]
  push:
    action: send
    channel: {{$ref: '#/channels/c'}}
    messages: [{{$ref: '#/channels/c/messages/down'}}]
{extra}components:
  schemas:
    Shared: {{type: object, properties: {{id: {{type: string, maxLength: 8}}}}, required: [id]}}
    Other: {{type: object, properties: {{id: {{type: string, maxLength: 8}}}}, required: [id]}}
{components}"#
    )
}

fn build(text: &str, role: Role) -> Ir {
    let spec = Spec::from_text("spec.yaml", text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    ir::build(&spec, &IrOptions { role, ..IrOptions::default() }).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

fn compare(old: &str, new: &str) -> Report {
    diff::diff(&build(old, Role::Server), &build(new, Role::Server))
}

/// (breaks deployed clients, breaks deployed servers, number of changes).
fn outcome(r: &Report) -> (bool, bool, usize) {
    (r.breaking_clients() > 0, r.breaking_servers() > 0, r.changes.len())
}

fn expected(effect: Effect, flow: Flow) -> (bool, bool) {
    let v = Verdict::of(effect, flow);
    (v.breaks_clients(), v.breaks_servers())
}

fn mirror(effect: Effect) -> Effect {
    match effect {
        Effect::Narrower => Effect::Wider,
        Effect::Wider => Effect::Narrower,
        e => e,
    }
}

const BASE: &str = "{type: string}";
const OBJ_A: &str = "{type: object, properties: {a: {type: string}}, required: [a]}";

/// (name, old schema, new schema, effect of old → new).
const SCHEMA_CASES: &[(&str, &str, &str, Effect)] = &[
    // fields
    (
        "required field added",
        OBJ_A,
        "{type: object, properties: {a: {type: string}, b: {type: string}}, required: [a, b]}",
        Effect::Narrower,
    ),
    (
        "optional field added",
        OBJ_A,
        "{type: object, properties: {a: {type: string}, b: {type: string}}, required: [a]}",
        Effect::Neutral,
    ),
    (
        "field added to a closed object",
        "{type: object, properties: {a: {type: string}}, additionalProperties: false}",
        "{type: object, properties: {a: {type: string}, b: {type: string}}, additionalProperties: false}",
        Effect::Wider,
    ),
    (
        "required field removed",
        "{type: object, properties: {a: {type: string}, b: {type: string}}, required: [a, b]}",
        OBJ_A,
        Effect::Wider,
    ),
    ("field no longer required", OBJ_A, "{type: object, properties: {a: {type: string}}}", Effect::Wider),
    ("field now required", "{type: object, properties: {a: {type: string}}}", OBJ_A, Effect::Narrower),
    (
        "additionalProperties false added",
        OBJ_A,
        "{type: object, properties: {a: {type: string}}, required: [a], additionalProperties: false}",
        Effect::Narrower,
    ),
    (
        "additionalProperties map values",
        "{type: object, additionalProperties: {type: string}}",
        "{type: object, additionalProperties: {type: integer}}",
        Effect::Incompatible,
    ),
    // types
    ("type change", "{type: string}", "{type: integer}", Effect::Incompatible),
    ("integer to number", "{type: integer}", "{type: number}", Effect::Wider),
    ("object to string", OBJ_A, "{type: string}", Effect::Incompatible),
    ("any to string", "{}", "{type: string}", Effect::Narrower),
    // nullability
    ("nullable by type list", "{type: string}", "{type: [string, 'null']}", Effect::Wider),
    ("nullable by anyOf", "{type: integer}", "{anyOf: [{type: integer}, {type: 'null'}]}", Effect::Wider),
    // string constraints
    ("minLength added", "{type: string}", "{type: string, minLength: 1}", Effect::Narrower),
    ("minLength raised", "{type: string, minLength: 1}", "{type: string, minLength: 5}", Effect::Narrower),
    ("maxLength lowered", "{type: string, maxLength: 64}", "{type: string, maxLength: 32}", Effect::Narrower),
    ("maxLength removed", "{type: string, maxLength: 64}", "{type: string}", Effect::Wider),
    ("pattern added", "{type: string}", "{type: string, pattern: '^[a-z]+$'}", Effect::Narrower),
    (
        "pattern changed",
        "{type: string, pattern: '^[a-z]+$'}",
        "{type: string, pattern: '^[0-9]+$'}",
        Effect::Incompatible,
    ),
    ("format added", "{type: string}", "{type: string, format: uuid}", Effect::Narrower),
    (
        "format changed",
        "{type: string, format: date-time}",
        "{type: string, format: uuid}",
        Effect::Incompatible,
    ),
    ("int32 to int64", "{type: integer, format: int32}", "{type: integer, format: int64}", Effect::Wider),
    // number constraints
    ("minimum raised", "{type: integer, minimum: 0}", "{type: integer, minimum: 10}", Effect::Narrower),
    ("maximum lowered", "{type: number, maximum: 100}", "{type: number, maximum: 10}", Effect::Narrower),
    ("maximum added", "{type: number}", "{type: number, maximum: 10}", Effect::Narrower),
    ("exclusiveMinimum added", "{type: number}", "{type: number, exclusiveMinimum: 0}", Effect::Narrower),
    (
        "exclusiveMaximum lowered",
        "{type: number, exclusiveMaximum: 10}",
        "{type: number, exclusiveMaximum: 5}",
        Effect::Narrower,
    ),
    (
        "multipleOf multiplied",
        "{type: integer, multipleOf: 2}",
        "{type: integer, multipleOf: 4}",
        Effect::Narrower,
    ),
    (
        "multipleOf unrelated",
        "{type: integer, multipleOf: 2}",
        "{type: integer, multipleOf: 3}",
        Effect::Incompatible,
    ),
    // arrays
    (
        "minItems added",
        "{type: array, items: {type: string}}",
        "{type: array, items: {type: string}, minItems: 1}",
        Effect::Narrower,
    ),
    (
        "maxItems lowered",
        "{type: array, items: {type: string}, maxItems: 10}",
        "{type: array, items: {type: string}, maxItems: 5}",
        Effect::Narrower,
    ),
    (
        "uniqueItems added",
        "{type: array, items: {type: string}}",
        "{type: array, items: {type: string}, uniqueItems: true}",
        Effect::Narrower,
    ),
    (
        "items narrowed",
        "{type: array, items: {type: string}}",
        "{type: array, items: {type: string, maxLength: 3}}",
        Effect::Narrower,
    ),
    (
        "tuple length",
        "{type: array, prefixItems: [{type: string}, {type: integer}]}",
        "{type: array, prefixItems: [{type: string}]}",
        Effect::Incompatible,
    ),
    // enums and constants
    (
        "enum value removed",
        "{type: string, enum: [a, b, c]}",
        "{type: string, enum: [a, b]}",
        Effect::Narrower,
    ),
    (
        "integer enum value added",
        "{type: integer, enum: [1, 2]}",
        "{type: integer, enum: [1, 2, 3]}",
        Effect::Wider,
    ),
    ("enum to string", "{type: string, enum: [a, b]}", "{type: string}", Effect::Wider),
    ("const to enum", "{type: string, const: a}", "{type: string, enum: [a, b]}", Effect::Wider),
    ("const changed", "{type: string, const: a}", "{type: string, const: b}", Effect::Incompatible),
    // unions
    (
        "union variant added",
        "{oneOf: [{type: string}, {type: integer}]}",
        "{oneOf: [{type: string}, {type: integer}, {type: boolean}]}",
        Effect::Wider,
    ),
    (
        "oneOf to anyOf",
        "{oneOf: [{type: string}, {type: integer}]}",
        "{anyOf: [{type: string}, {type: integer}]}",
        Effect::Wider,
    ),
    (
        "union variant narrowed",
        "{oneOf: [{type: string}, {type: integer}]}",
        "{oneOf: [{type: string, maxLength: 2}, {type: integer}]}",
        Effect::Narrower,
    ),
    // $ref compared by what it resolves to, nested changes behind a $ref
    (
        "narrowed behind a $ref",
        "{$ref: '#/components/schemas/Shared'}",
        "{type: object, properties: {id: {type: string, maxLength: 4}}, required: [id]}",
        Effect::Narrower,
    ),
    // docs and defaults
    (
        "description changed",
        "{type: string, description: one}",
        "{type: string, description: two}",
        Effect::Neutral,
    ),
    (
        "field docs and default",
        "{type: object, properties: {a: {type: string, description: x, default: p}}}",
        "{type: object, properties: {a: {type: string, description: y, default: q}}}",
        Effect::Neutral,
    ),
    (
        "title changed",
        OBJ_A,
        "{type: object, title: Thing, properties: {a: {type: string}}, required: [a]}",
        Effect::Neutral,
    ),
    (
        "examples changed",
        "{type: object, properties: {a: {type: string}}, examples: [{a: x}]}",
        "{type: object, properties: {a: {type: string}}, examples: [{a: y}]}",
        Effect::Neutral,
    ),
    (
        "deprecated",
        OBJ_A,
        "{type: object, properties: {a: {type: string, deprecated: true}}, required: [a]}",
        Effect::Neutral,
    ),
];

fn check_schema_case(name: &str, old: &str, new: &str, effect: Effect) {
    for (label, o, n, effect) in [("old → new", old, new, effect), ("new → old", new, old, mirror(effect))]
    {
        for (flow, old_spec, new_spec) in [
            (Flow::ClientToServer, spec(o, BASE), spec(n, BASE)),
            (Flow::ServerToClient, spec(BASE, o), spec(BASE, n)),
        ] {
            let report = compare(&old_spec, &new_spec);
            let (clients, servers, count) = outcome(&report);
            let want = expected(effect, flow);
            assert_eq!(
                (clients, servers),
                want,
                "{name} ({label}, {}): expected {:?}, got {:#?}",
                flow.as_str(),
                Verdict::of(effect, flow),
                report.changes
            );
            assert!(count > 0, "{name} ({label}, {}): no change reported", flow.as_str());
            let touched = report.changes.iter().all(|c| {
                c.message.as_deref() == Some(if flow == Flow::ClientToServer { "up" } else { "down" })
            });
            assert!(touched, "{name}: a change on another message: {:#?}", report.changes);
            assert!(
                report.changes.iter().all(|c| c.location().is_some()),
                "{name}: a change without a pointer"
            );
        }
    }
}

#[test]
fn every_schema_rule_both_ways_for_both_senders() {
    for (name, old, new, effect) in SCHEMA_CASES {
        check_schema_case(name, old, new, *effect);
    }
}

#[test]
fn the_same_spec_has_no_changes() {
    let s = spec(OBJ_A, "{$ref: '#/components/schemas/Shared'}");
    assert_eq!(compare(&s, &s).changes, vec![]);
}

#[test]
fn refs_count_by_what_they_resolve_to() {
    let inline = "{type: object, properties: {id: {type: string, maxLength: 8}}, required: [id]}";
    for (old, new) in [
        ("{$ref: '#/components/schemas/Shared'}", inline),
        ("{$ref: '#/components/schemas/Shared'}", "{$ref: '#/components/schemas/Other'}"),
        (inline, "{$ref: '#/components/schemas/Other'}"),
    ] {
        let report = compare(&spec(old, old), &spec(new, new));
        assert_eq!(report.changes, vec![], "{old} → {new}");
    }
}

#[test]
fn a_recursive_schema_is_compared_once_and_ends() {
    let tree = |max: u32| {
        format!(
            "    Tree: {{type: object, properties: {{name: {{type: string, maxLength: {max}}}, children: {{type: array, items: {{$ref: '#/components/schemas/Tree'}}}}}}}}\n"
        )
    };
    let r = "{$ref: '#/components/schemas/Tree'}";
    let report = compare(&spec_with(r, BASE, &tree(10), ""), &spec_with(r, BASE, &tree(5), ""));
    assert_eq!(report.changes.len(), 1, "{:#?}", report.changes);
    assert_eq!(report.changes[0].verdict, Verdict::BreaksClients);
    assert_eq!(report.changes[0].path, "payload.name");
    assert_eq!(
        report.changes[0].new.as_ref().map(|l| l.pointer.as_str()),
        Some("/components/schemas/Tree/properties/name/maxLength")
    );
}

#[test]
fn a_shared_type_is_judged_per_message() {
    // `Shared` is sent by the client (up) and by the server (down): one narrowing, two verdicts.
    let r = "{$ref: '#/components/schemas/Shared'}";
    let old = spec(r, r);
    let new = old
        .replace("maxLength: 8}}, required: [id]}\n    Other", "maxLength: 4}}, required: [id]}\n    Other");
    assert_ne!(old, new);
    let report = compare(&old, &new);
    let verdicts: Vec<(Option<&str>, Verdict)> =
        report.changes.iter().map(|c| (c.message.as_deref(), c.verdict)).collect();
    assert_eq!(verdicts, [(Some("up"), Verdict::BreaksClients), (Some("down"), Verdict::BreaksServers)]);
    assert!(report.changes.iter().all(|c| c.path == "payload.id"));
}

/// Spec-level rules: (name, old, new, breaks deployed clients, breaks deployed servers).
fn spec_cases() -> Vec<(&'static str, String, String, bool, bool)> {
    let base = spec(BASE, BASE);
    let extra_up = |tag: &str| {
        base.replace(
            "      down:\n",
            &format!("      up2:\n        payload: {{type: object, properties: {{action: {{const: {tag}}}}}}}\n      down:\n"),
        )
        .replace(
            "messages: [{$ref: '#/channels/c/messages/up'}]",
            "messages: [{$ref: '#/channels/c/messages/up'}, {$ref: '#/channels/c/messages/up2'}]",
        )
    };
    let extra_down = base
        .replace(
            "operations:\n",
            "      down2:\n        payload: {type: object, properties: {action: {const: down2}}}\noperations:\n",
        )
        .replace(
            "messages: [{$ref: '#/channels/c/messages/down'}]",
            "messages: [{$ref: '#/channels/c/messages/down'}, {$ref: '#/channels/c/messages/down2'}]",
        );
    let reply = |msgs: &str| {
        base.replace(
            "    messages: [{$ref: '#/channels/c/messages/up'}]\n",
            &format!(
                "    messages: [{{$ref: '#/channels/c/messages/up'}}]\n    reply:\n      messages: [{msgs}]\n"
            ),
        )
    };
    let with_param = |address: &str, param: &str| {
        base.replace(
            "    address: /ws\n",
            &format!("    address: {address}\n    parameters:\n      {param}\n"),
        )
    };
    let with_server =
        |server: &str| base.replace("channels:\n", &format!("servers:\n  s: {server}\nchannels:\n"));
    vec![
        ("client message added", base.clone(), extra_up("up2"), false, true),
        ("client message removed", extra_up("up2"), base.clone(), true, false),
        ("server message added", base.clone(), extra_down.clone(), true, false),
        ("server message removed", extra_down, base.clone(), false, true),
        (
            "client tag value changed",
            base.clone(),
            base.replace("{const: up}", "{const: upload}"),
            true,
            true,
        ),
        (
            "server tag value changed",
            base.clone(),
            base.replace("{const: down}", "{const: download}"),
            true,
            true,
        ),
        (
            "message key renamed, same tag",
            extra_up("up2"),
            extra_up("up2").replace("up2", "upTwo").replace("const: upTwo", "const: up2"),
            false,
            false,
        ),
        (
            "channel added",
            base.clone(),
            base.replace("operations:\n", "  d:\n    address: /other\noperations:\n"),
            false,
            true,
        ),
        (
            "channel removed",
            base.replace("operations:\n", "  d:\n    address: /other\noperations:\n"),
            base.clone(),
            true,
            false,
        ),
        ("address changed", base.clone(), base.replace("address: /ws", "address: /ws/v2"), true, true),
        (
            "address parameter renamed",
            with_param("/ws/{room}", "room: {}"),
            with_param("/ws/{roomId}", "roomId: {}"),
            false,
            false,
        ),
        (
            "parameter enum value removed",
            with_param("/ws/{room}", "room: {enum: [a, b]}"),
            with_param("/ws/{room}", "room: {enum: [a]}"),
            true,
            false,
        ),
        (
            "parameter enum value added",
            with_param("/ws/{room}", "room: {enum: [a]}"),
            with_param("/ws/{room}", "room: {enum: [a, b]}"),
            false,
            true,
        ),
        ("reply removed", reply("{$ref: '#/channels/c/messages/down'}"), base.clone(), true, false),
        ("reply added", base.clone(), reply("{$ref: '#/channels/c/messages/down'}"), false, true),
        (
            "reply message added",
            reply("{$ref: '#/channels/c/messages/down'}"),
            reply("{$ref: '#/channels/c/messages/down'}, {$ref: '#/channels/c/messages/up'}"),
            true,
            false,
        ),
        (
            "content type changed",
            base.clone(),
            base.replace("      up:\n", "      up:\n        contentType: application/octet-stream\n"),
            true,
            true,
        ),
        (
            "message docs",
            base.clone(),
            base.replace(
                "      up:\n",
                "      up:\n        summary: Upload\n        description: Sends it.\n        title: Up\n",
            ),
            false,
            false,
        ),
        (
            "channel docs",
            base.clone(),
            base.replace(
                "    address: /ws\n",
                "    address: /ws\n    description: The socket.\n    title: C\n",
            ),
            false,
            false,
        ),
        (
            "operation docs",
            base.clone(),
            base.replace("    action: receive\n", "    action: receive\n    summary: Receive it\n"),
            false,
            false,
        ),
        (
            "server pathname changed",
            with_server("{host: h, protocol: ws}"),
            with_server("{host: h, protocol: ws, pathname: /v2}"),
            true,
            true,
        ),
        (
            "server host changed",
            with_server("{host: a, protocol: ws}"),
            with_server("{host: b, protocol: ws}"),
            false,
            false,
        ),
        ("server added", base.clone(), with_server("{host: a, protocol: ws}"), false, false),
        (
            "info docs",
            base.clone(),
            base.replace("{title: t, version: '1'}", "{title: t2, version: '2', description: d}"),
            false,
            false,
        ),
    ]
}

#[test]
fn every_spec_rule() {
    for (name, old, new, clients, servers) in spec_cases() {
        let report = compare(&old, &new);
        let (c, s, count) = outcome(&report);
        assert_eq!((c, s), (clients, servers), "{name}: {:#?}", report.changes);
        assert!(count > 0, "{name}: no change reported");
        assert!(report.changes.iter().all(|c| c.location().is_some()), "{name}: a change without a pointer");
    }
}

#[test]
fn role_client_swaps_who_sends() {
    let old = spec("{type: string, maxLength: 64}", BASE);
    let new = spec("{type: string, maxLength: 32}", BASE);
    let as_server = diff::diff(&build(&old, Role::Server), &build(&new, Role::Server));
    let as_client = diff::diff(&build(&old, Role::Client), &build(&new, Role::Client));
    assert_eq!(outcome(&as_server), (true, false, 1));
    assert_eq!(outcome(&as_client), (false, true, 1));
    assert_eq!(as_client.changes[0].flow, Flow::ServerToClient);
}

#[test]
fn the_gate_follows_the_deployed_side() {
    use diff::Deployed;
    let widen =
        compare(&spec("{type: string, maxLength: 32}", BASE), &spec("{type: string, maxLength: 64}", BASE));
    assert!(!widen.breaking(Deployed::Clients));
    assert!(widen.breaking(Deployed::Servers));
    assert!(widen.breaking(Deployed::Both));
    let docs =
        compare(&spec("{type: string, description: a}", BASE), &spec("{type: string, description: b}", BASE));
    assert!(!docs.breaking(Deployed::Both));
}
