//! The single-file layout of the Rust output: [`FILE_NAME`] holds every module of [`emit`] inline
//! (`pub mod common { ... }`, `pub mod chat { ... }`), for a build script that writes into
//! `OUT_DIR` and a crate that `include!`s the result (or uses `chanx::include_api!`).
//!
//! `include!` accepts items only, so the file has no inner attributes: each module's `//!` docs
//! become `///` docs on its `pub mod` (the one-line summary `mod.rs` puts on the declaration
//! repeats them and is dropped), and the lint `allow`s of `mod.rs` go on every module. Only the
//! crate-level docs of `mod.rs` (the spec's title and description) have no place and are left
//! out.
//!
//! Assembled from the per-module files that [`emit`] prints, so both layouts always carry the
//! same items; this module decides nothing about the spec.

use syn::ext::IdentExt as _;
use syn::{AttrStyle, Attribute, Item, ItemMod};

use super::emit;
use crate::emit::GeneratedFile;
use crate::ir::Ir;

/// Name of the single file, relative to the Rust output directory (`DIR/rust/api.rs`).
pub const FILE_NAME: &str = "api.rs";

/// Emits [`FILE_NAME`]: the whole Rust API in one file that `include!` accepts.
pub fn emit_single(ir: &Ir) -> GeneratedFile {
    GeneratedFile { path: FILE_NAME.to_owned(), contents: assemble(&emit(ir)) }
}

/// Joins the per-module files of the directory layout (`mod.rs` first) into one file.
fn assemble(files: &[GeneratedFile]) -> String {
    let Some(root) = files.iter().find(|f| f.path == "mod.rs") else {
        return broken("no mod.rs among the emitted files");
    };
    // The `@generated` line and the blank line after it, as every file of the layout has them.
    let header = root.contents.split_once("\n\n").map_or("", |(header, _)| header);
    match inline_modules(root, files) {
        Ok(file) => format!("{header}\n\n{}", prettyplease::unparse(&file)),
        Err(why) => format!("{header}\n\n{}", broken(&why)),
    }
}

/// `mod.rs` with every `pub mod name;` replaced by the module's contents.
fn inline_modules(root: &GeneratedFile, files: &[GeneratedFile]) -> Result<syn::File, String> {
    let parsed = parse(root)?;
    // Inner attributes of `mod.rs` other than its docs: the lint `allow`s.
    let shared: Vec<Attribute> =
        parsed.attrs.iter().filter(|a| !a.path().is_ident("doc")).cloned().map(outer).collect();
    let mut items = Vec::with_capacity(parsed.items.len());
    for item in parsed.items {
        let Item::Mod(decl) = item else {
            items.push(item);
            continue;
        };
        if decl.content.is_some() {
            items.push(Item::Mod(decl));
            continue;
        }
        let names = [format!("{}.rs", decl.ident.unraw()), format!("{}.rs", decl.ident)];
        let file = files
            .iter()
            .find(|f| names.contains(&f.path))
            .ok_or_else(|| format!("module `{}` has no file among the emitted files", decl.ident))?;
        let module = parse(file)?;
        // The module's own docs; `mod.rs` only repeats them in short, so its line is kept
        // only for a module that has none.
        let own_docs = module.attrs.iter().any(|a| a.path().is_ident("doc"));
        let mut attrs: Vec<Attribute> =
            decl.attrs.into_iter().filter(|a| !(own_docs && a.path().is_ident("doc"))).collect();
        attrs.extend(module.attrs.into_iter().map(outer));
        attrs.extend(shared.iter().cloned());
        items.push(Item::Mod(ItemMod {
            attrs,
            content: Some((syn::token::Brace::default(), module.items)),
            semi: None,
            ..decl
        }));
    }
    Ok(syn::File { shebang: None, attrs: Vec::new(), items })
}

fn parse(file: &GeneratedFile) -> Result<syn::File, String> {
    syn::parse_file(&file.contents).map_err(|e| format!("{} does not parse: {e}", file.path))
}

/// The same attribute written in front of the item instead of inside it.
fn outer(mut attr: Attribute) -> Attribute {
    attr.style = AttrStyle::Outer;
    attr
}

/// The text printed when the emitted modules cannot be joined: a bug in this emitter, made
/// loud where the file is compiled.
fn broken(why: &str) -> String {
    format!("compile_error!({:?});\n", format!("chanx-gen could not assemble {FILE_NAME}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ir_of(spec: &str) -> Ir {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs").join(spec);
        let spec = crate::parse::Spec::load(&path).expect("spec loads");
        crate::ir::build(&spec, &crate::ir::IrOptions::default()).expect("ir builds")
    }

    fn print(items: Vec<Item>) -> String {
        prettyplease::unparse(&syn::File { shebang: None, attrs: Vec::new(), items })
    }

    #[test]
    fn the_single_file_is_every_module_inline_without_inner_attributes() {
        for spec in ["chanx-chat.yaml", "chat-ws.yaml"] {
            let ir = ir_of(spec);
            let modules = emit(&ir);
            let single = emit_single(&ir);
            assert_eq!(single.path, "api.rs");
            assert!(single.contents.starts_with("// @generated by chanx-gen from `"), "{spec}");
            let file = syn::parse_file(&single.contents).expect("api.rs parses");
            assert!(file.attrs.is_empty(), "{spec}: inner attributes at the top");
            assert!(!single.contents.contains("#!["), "{spec}");
            assert!(!single.contents.contains("//!"), "{spec}");
            // One inline module per module file, holding exactly that file's items, docs first
            // and the lint allows of mod.rs on each.
            let inline: Vec<&ItemMod> =
                file.items.iter().filter_map(|i| if let Item::Mod(m) = i { Some(m) } else { None }).collect();
            assert_eq!(inline.len(), modules.len() - 1, "{spec}");
            assert_eq!(inline.len(), file.items.len(), "{spec}: only modules at the top");
            for m in inline {
                let own = modules
                    .iter()
                    .find(|f| f.path == format!("{}.rs", m.ident.unraw()))
                    .expect("a file per module");
                let own = syn::parse_file(&own.contents).expect("module parses");
                let (_, items) = m.content.as_ref().expect("inline");
                assert_eq!(print(items.clone()), print(own.items), "{spec}: module {}", m.ident);
                assert!(m.attrs.first().is_some_and(|a| a.path().is_ident("doc")), "{spec}");
                assert!(m.attrs.last().is_some_and(|a| a.path().is_ident("allow")), "{spec}");
                assert!(m.attrs.iter().all(|a| matches!(a.style, AttrStyle::Outer)));
            }
            assert_eq!(emit_single(&ir), single, "{spec}: deterministic");
        }
    }

    #[test]
    fn a_module_without_its_file_is_a_loud_compile_error() {
        let files =
            [GeneratedFile { path: "mod.rs".to_owned(), contents: "// h\n\npub mod gone;\n".to_owned() }];
        let text = assemble(&files);
        assert!(text.starts_with("// h\n\ncompile_error!(\"chanx-gen could not assemble api.rs"), "{text}");
        assert!(assemble(&[]).starts_with("compile_error!("));
    }
}
