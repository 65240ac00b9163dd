//! Tidy checks in the spirit of rust-analyzer's. The layering in ARCHITECTURE.md is held by parsing
//! every file under src/ with syn and collecting every path it reaches — whole `use` trees (nested
//! groups, renames, globs, `self`/`super` resolved against the file's module) and qualified paths in
//! code, types, patterns and macro arguments, with a layer's re-exports of its own items followed to
//! where they are defined — and checking them against one table of what each layer must not reach, so
//! the map cannot silently drift. Also: every source file opens with `//!`, ARCHITECTURE.md's codemap
//! names every source file, every limit is in `limits.rs`, nothing climbs out of the repository, and
//! the standalone verifier shares no code with the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// What the files under one directory of src/ must not reach.
struct Layer {
    dir: &'static str,
    /// Paths, by prefix of whole segments: `crate::store` also forbids `crate::store::export::export`
    /// (but not `crate::storage`); `sled` forbids everything in the sled crate.
    paths: &'static [&'static str],
    /// Runs of segments forbidden wherever they appear in a path, however they were imported: a clock
    /// read is one whether written `std::time::SystemTime::now` or `SystemTime::now` after a glob.
    names: &'static [&'static str],
    /// Exact paths one file may reach although a rule above forbids them, as `file: path`, each with
    /// its reason beside it in the table.
    allowed: &'static [(&'static str, &'static str)],
}

/// The layering (ARCHITECTURE.md): domain ◄ chain ◄ store ◄ service ◄ {http, cli}, with projection
/// beside the store; each layer reaches only downwards. The adapters use the domain's vocabulary
/// (`Command`, `Role`, `UnitCode`, `PeriodId`, `Rejection`, …) but neither its rules nor its fact
/// model, and reach the ledger only through the service.
const LAYERS: &[Layer] = &[
    Layer {
        dir: "domain",
        paths: &[
            "sled",
            "tokio",
            "axum",
            "std::fs",
            "std::net",
            "crate::store",
            "crate::projection",
            "crate::service",
            "crate::http",
            "crate::cli",
            "crate::chain::seal",
            // Keys and nonces come from the service's injected randomness, never from the domain.
            "getrandom",
        ],
        names: &["SystemTime", "Instant::now"],
        allowed: &[],
    },
    Layer {
        dir: "chain",
        paths: &[
            "sled",
            "tokio",
            "axum",
            "std::fs",
            "crate::store",
            "crate::projection",
            "crate::service",
            "crate::http",
            "crate::cli",
            // Sealing takes its nonce as an argument (`chain::sealed_text`): replays stay byte-identical.
            "getrandom",
        ],
        names: &["SystemTime"],
        allowed: &[],
    },
    Layer {
        dir: "projection",
        paths: &[
            "sled",
            "tokio",
            "axum",
            "std::fs",
            "std::net",
            "crate::store",
            "crate::service",
            "crate::http",
            "crate::cli",
        ],
        names: &["SystemTime", "Instant::now"],
        allowed: &[],
    },
    Layer {
        dir: "store",
        paths: &["axum", "crate::service", "crate::http", "crate::cli", "crate::projection"],
        names: &[],
        allowed: &[],
    },
    Layer {
        dir: "article",
        paths: &[
            "sled",
            "tokio",
            "axum",
            "std::fs",
            "crate::store",
            "crate::projection",
            "crate::service",
            "crate::http",
            "crate::cli",
        ],
        names: &["SystemTime", "Instant::now"],
        allowed: &[],
    },
    Layer { dir: "service", paths: &["crate::http", "crate::cli"], names: &[], allowed: &[] },
    Layer {
        dir: "http",
        paths: &["crate::store", "crate::domain::rules", "crate::domain::facts", "crate::domain::fold", "crate::cli"],
        names: &[],
        allowed: &[],
    },
    // The web site is an adapter like http/: it reads through the service (and may use the API's state).
    Layer {
        dir: "site",
        paths: &["crate::store", "crate::domain::rules", "crate::domain::facts", "crate::domain::fold", "crate::cli"],
        names: &[],
        allowed: &[],
    },
    // Answers as spreadsheets: made from the answers alone, for every adapter; it serves none of them.
    Layer {
        dir: "tabular",
        paths: &[
            "sled",
            "tokio",
            "axum",
            "std::fs",
            "std::net",
            "crate::store",
            "crate::domain::rules",
            "crate::domain::facts",
            "crate::domain::fold",
            "crate::http",
            "crate::cli",
            "crate::site",
        ],
        names: &["SystemTime", "Instant::now"],
        allowed: &[],
    },
    Layer {
        dir: "cli",
        paths: &["crate::store", "crate::domain::rules", "crate::domain::facts", "crate::domain::fold", "crate::http"],
        names: &[],
        // `kpi-ledger serve` hosts the HTTP adapter: it builds the router's state and serves it. That
        // is all the command line takes from http/.
        allowed: &[
            ("src/cli/serve.rs", "crate::http"),
            ("src/cli/serve.rs", "crate::http::AppState"),
            ("src/cli/serve.rs", "crate::http::router"),
        ],
    },
];

/// Only `store/` may reach sled; this applies to every file outside it.
const NO_SLED: Layer = Layer { dir: "", paths: &["sled"], names: &[], allowed: &[] };

/// One path a source file reaches.
#[derive(Debug)]
struct Reach {
    line: usize,
    /// As written (a `use` leaf with its prefix: `crate::{store::{self}}` gives `crate::store`).
    written: String,
    /// Resolved from the crate root where it can be (`crate::store::export::export`); a path into
    /// another crate, or one whose first name is not known here, stays as written.
    resolved: Vec<String>,
    /// When the first segment is a name the file brings into scope (a `use`, a child module), what
    /// that name resolved to. A forbidden `use` is reported once, at the `use`, not at every use of it.
    via: Option<Vec<String>>,
}

/// The names one module of a file brings into scope.
#[derive(Default)]
struct Scope {
    /// Name bound by a `use` (the last segment or the rename) → the path as written.
    imports: BTreeMap<String, Vec<String>>,
    /// `use …::*` prefixes, as written.
    globs: Vec<Vec<String>>,
    /// `mod name;` and `mod name { … }`.
    children: BTreeSet<String>,
}

/// The scopes of the modules one file holds (its own and its inline `mod`s), by module path.
struct Scopes(BTreeMap<Vec<String>, Scope>);

/// The marker for a leading `::` (a path into another crate, never a local name).
const EXTERN: &str = "::";

impl Scopes {
    /// `path`, written in `module`, from the crate root where it can be, and what its first name
    /// resolved to when that name was brought into scope.
    fn resolve(&self, module: &[String], path: &[String], depth: u8) -> (Vec<String>, Option<Vec<String>>) {
        let Some(first) = path.first() else { return (Vec::new(), None) };
        let crate_path = |inside: &[String], rest: &[String]| {
            let mut resolved = vec!["crate".to_owned()];
            resolved.extend_from_slice(inside);
            resolved.extend_from_slice(rest);
            resolved
        };
        match first.as_str() {
            EXTERN => (path[1..].to_vec(), None),
            // The binary (src/main.rs) reaches the library by its name.
            "crate" | "kpi_ledger" => (crate_path(&[], &path[1..]), None),
            "self" => (crate_path(module, &path[1..]), None),
            "super" => {
                let ups = path.iter().take_while(|segment| *segment == "super").count();
                let inside = &module[..module.len().saturating_sub(ups)];
                (crate_path(inside, &path[ups..]), None)
            }
            _ => match self.lookup(module, first, depth) {
                Some(base) => {
                    let mut resolved = base.clone();
                    resolved.extend_from_slice(&path[1..]);
                    (resolved, Some(base))
                }
                None => (path.to_vec(), None),
            },
        }
    }

    /// What `name` means in `module`: a `use` there, a child module, or a name a glob of a module of
    /// this same file brings in (`use super::*` in `mod tests`).
    fn lookup(&self, module: &[String], name: &str, depth: u8) -> Option<Vec<String>> {
        if depth > 16 {
            return None;
        }
        let scope = self.0.get(module)?;
        if let Some(target) = scope.imports.get(name) {
            return Some(self.resolve(module, target, depth + 1).0);
        }
        if scope.children.contains(name) {
            let mut path = vec!["crate".to_owned()];
            path.extend_from_slice(module);
            path.push(name.to_owned());
            return Some(path);
        }
        scope.globs.iter().find_map(|glob| {
            let (target, _) = self.resolve(module, glob, depth + 1);
            let inside = target.strip_prefix(&["crate".to_owned()][..])?;
            (inside != module).then(|| self.lookup(inside, name, depth + 1)).flatten()
        })
    }

    /// `path` (from the crate root) with the re-exports along it followed to where the item is
    /// defined, as long as they stay inside the layer that makes them: `crate::domain::allowed_roles`
    /// is `crate::domain::rules::access::allowed_roles` when `domain` and `domain::rules` re-export
    /// it. A layer's re-export of another layer's item is that layer's door and is not followed (the
    /// service hands out the store's answer types). These scopes must be the whole crate's.
    fn canonical(&self, path: &[String]) -> Vec<String> {
        let mut path = path.to_vec();
        for _ in 0..16 {
            let Some(inside) = path.strip_prefix(&["crate".to_owned()][..]) else { break };
            let step = (0..inside.len()).find_map(|at| {
                let (module, name) = (&inside[..at], &inside[at]);
                let target = self.lookup(module, name, 0)?;
                let defined_here = target.len() == at + 2 && target[1..=at] == *module && target[at + 1] == *name;
                let same_layer = module.first().is_none_or(|layer| target.get(1) == Some(layer));
                (!defined_here && same_layer && target[0] == "crate")
                    .then(|| [target.as_slice(), &inside[at + 1..]].concat())
            });
            match step {
                Some(next) if next != path => path = next,
                _ => break,
            }
        }
        path
    }
}

/// One leaf of a `use` tree: the full path as written, the name it binds, whether it is a glob.
struct UseLeaf {
    path: Vec<String>,
    binds: Option<String>,
    glob: bool,
    span: Span,
}

fn use_leaves(item: &syn::ItemUse) -> Vec<UseLeaf> {
    fn walk(tree: &syn::UseTree, prefix: &mut Vec<String>, leaves: &mut Vec<UseLeaf>) {
        // `{self}` and `self as x` inside a group name the prefix itself.
        let named = |prefix: &[String], ident: &syn::Ident| {
            let mut path = prefix.to_vec();
            if ident != "self" {
                path.push(ident.to_string());
            }
            path
        };
        match tree {
            syn::UseTree::Path(step) => {
                prefix.push(step.ident.to_string());
                walk(&step.tree, prefix, leaves);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                let path = named(prefix, &name.ident);
                let binds = path.last().cloned();
                leaves.push(UseLeaf { path, binds, glob: false, span: name.ident.span() });
            }
            syn::UseTree::Rename(rename) => {
                let binds = (rename.rename != "_").then(|| rename.rename.to_string());
                leaves.push(UseLeaf {
                    path: named(prefix, &rename.ident),
                    binds,
                    glob: false,
                    span: rename.ident.span(),
                });
            }
            syn::UseTree::Glob(glob) => {
                leaves.push(UseLeaf { path: prefix.clone(), binds: None, glob: true, span: glob.star_token.span });
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    walk(tree, prefix, leaves);
                }
            }
        }
    }
    let mut prefix = Vec::new();
    if item.leading_colon.is_some() {
        prefix.push(EXTERN.to_owned());
    }
    let mut leaves = Vec::new();
    walk(&item.tree, &mut prefix, &mut leaves);
    leaves
}

/// First pass: the names each module of the file brings into scope (imports are order-free).
struct ScopeCollector {
    module: Vec<String>,
    scopes: BTreeMap<Vec<String>, Scope>,
}

impl<'ast> Visit<'ast> for ScopeCollector {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.scopes.entry(self.module.clone()).or_default().children.insert(item.ident.to_string());
        if item.content.is_some() {
            self.module.push(item.ident.to_string());
            self.scopes.entry(self.module.clone()).or_default();
            visit::visit_item_mod(self, item);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let scope = self.scopes.entry(self.module.clone()).or_default();
        for leaf in use_leaves(item) {
            if leaf.glob {
                scope.globs.push(leaf.path);
            } else if let Some(name) = leaf.binds {
                scope.imports.insert(name, leaf.path);
            }
        }
    }
}

/// Second pass: every path, resolved in the module it is written in.
struct PathCollector<'s> {
    module: Vec<String>,
    scopes: &'s Scopes,
    reaches: Vec<Reach>,
}

impl PathCollector<'_> {
    fn reach(&mut self, path: Vec<String>, span: Span) {
        let (resolved, via) = self.scopes.resolve(&self.module, &path, 0);
        let written = path.iter().filter(|segment| *segment != EXTERN).cloned().collect::<Vec<_>>().join("::");
        self.reaches.push(Reach { line: span.start().line, written, resolved, via });
    }

    /// Paths inside macro arguments and attribute lists, which syn leaves as tokens: every run
    /// `a::b::c` (two segments or more, a leading `::` allowed).
    fn scan(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut run: Vec<String> = Vec::new();
        let mut start = Span::call_site();
        let mut after_colons = false;
        let flush = |this: &mut Self, run: &mut Vec<String>, start: Span| {
            if run.iter().filter(|segment| *segment != EXTERN).count() >= 2 {
                this.reach(std::mem::take(run), start);
            }
            run.clear();
        };
        let mut at = 0;
        while at < tokens.len() {
            match &tokens[at] {
                TokenTree::Ident(ident) => {
                    if !after_colons {
                        flush(self, &mut run, start);
                        start = ident.span();
                    }
                    run.push(ident.to_string());
                    after_colons = false;
                }
                TokenTree::Punct(colon)
                    if colon.as_char() == ':'
                        && colon.spacing() == Spacing::Joint
                        && matches!(tokens.get(at + 1), Some(TokenTree::Punct(next)) if next.as_char() == ':') =>
                {
                    if run.is_empty() || after_colons {
                        flush(self, &mut run, start);
                        run.push(EXTERN.to_owned());
                        start = colon.span();
                    }
                    after_colons = true;
                    at += 1;
                }
                TokenTree::Group(group) => {
                    flush(self, &mut run, start);
                    after_colons = false;
                    self.scan(group.stream());
                }
                _ => {
                    flush(self, &mut run, start);
                    after_colons = false;
                }
            }
            at += 1;
        }
        flush(self, &mut run, start);
    }
}

impl<'ast> Visit<'ast> for PathCollector<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        visit::visit_item_mod(self, item);
        self.module.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        for leaf in use_leaves(item) {
            let mut path = leaf.path;
            if leaf.glob {
                path.push("*".to_owned());
            }
            self.reach(path, leaf.span);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments: Vec<String> = path.segments.iter().map(|segment| segment.ident.to_string()).collect();
        // A bare `self`, `Self`, `crate` or `super` (a receiver, `pub(crate)`) reaches nothing.
        let bare = segments.len() == 1 && ["self", "Self", "crate", "super"].contains(&segments[0].as_str());
        if let (false, Some(first)) = (bare, path.segments.first()) {
            if path.leading_colon.is_some() {
                segments.insert(0, EXTERN.to_owned());
            }
            self.reach(segments, first.ident.span());
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        self.scan(mac.tokens.clone());
    }

    fn visit_meta_list(&mut self, list: &'ast syn::MetaList) {
        visit::visit_meta_list(self, list);
        self.scan(list.tokens.clone());
    }
}

/// The module path of a file under src/: `src/domain/rules/mod.rs` is `domain::rules`.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(source_root()).unwrap().with_extension("");
    let mut module: Vec<String> =
        relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
    let last = module.last().map(String::as_str);
    if last == Some("mod") || (module.len() == 1 && matches!(last, Some("lib" | "main"))) {
        module.pop();
    }
    module
}

/// Every path `source`, the file of module `module`, reaches, resolved within the file.
fn reaches(module: &[String], source: &str) -> syn::Result<Vec<Reach>> {
    Ok(parse(module, source)?.0)
}

/// The paths `source` reaches and the names each of its modules brings into scope.
fn parse(module: &[String], source: &str) -> syn::Result<(Vec<Reach>, Scopes)> {
    let file = syn::parse_file(source)?;
    let mut scopes = ScopeCollector { module: module.to_vec(), scopes: BTreeMap::new() };
    scopes.scopes.entry(module.to_vec()).or_default();
    scopes.visit_file(&file);
    let scopes = Scopes(scopes.scopes);
    let mut paths = PathCollector { module: module.to_vec(), scopes: &scopes, reaches: Vec::new() };
    paths.visit_file(&file);
    Ok((paths.reaches, scopes))
}

/// Follows the library's re-exports (`crate_scopes`: every library file's scopes) in what `reaches` resolved,
/// so that a rule on `crate::domain::rules` also catches `crate::domain::allowed_roles`.
fn follow_re_exports(crate_scopes: &Scopes, reaches: &mut [Reach]) {
    for reach in reaches {
        reach.resolved = crate_scopes.canonical(&reach.resolved);
        reach.via = reach.via.as_deref().map(|via| crate_scopes.canonical(via));
    }
}

/// The pattern of `layer` that `path` breaks, if any.
fn breaks(layer: &Layer, path: &[String]) -> Option<&'static str> {
    let segments = |pattern: &str| pattern.split("::").map(str::to_owned).collect::<Vec<_>>();
    let by_path = layer.paths.iter().find(|pattern| path.starts_with(&segments(pattern)));
    let by_name = || {
        layer.names.iter().find(|pattern| {
            let run = segments(pattern);
            path.windows(run.len()).any(|window| window == run.as_slice())
        })
    };
    by_path.or_else(by_name).copied()
}

/// One message per path of `reaches` that `layer` forbids: file, line, path and rule.
fn layer_violations(shown: &str, layer: &Layer, reaches: &[Reach]) -> Vec<String> {
    let mut found = Vec::new();
    for reach in reaches {
        let Some(pattern) = breaks(layer, &reach.resolved) else { continue };
        if reach.via.as_deref().is_some_and(|via| breaks(layer, via).is_some()) {
            continue;
        }
        let resolved = reach.resolved.join("::");
        if layer.allowed.contains(&(shown, resolved.as_str())) {
            continue;
        }
        let written = if reach.written == resolved { String::new() } else { format!(" (written `{}`)", reach.written) };
        let who = if layer.dir.is_empty() { "this file".to_owned() } else { format!("{}/", layer.dir) };
        found.push(format!("{shown}:{}: `{resolved}`{written}: {who} must not reach `{pattern}`", reach.line));
    }
    found.dedup();
    found
}

/// A Rust file under src/, shown relative to the manifest, with the paths it reaches (or why it does
/// not parse).
type SourceReaches = (PathBuf, String, Result<Vec<Reach>, String>);

/// Every Rust file under src/ with the paths it reaches, parsed once for all the checks.
fn source_reaches() -> &'static [SourceReaches] {
    static PARSED: std::sync::OnceLock<Vec<SourceReaches>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let binary = source_root().join("main.rs");
        let mut crate_scopes = Scopes(BTreeMap::new());
        let mut parsed: Vec<SourceReaches> = rust_files(&source_root())
            .into_iter()
            .map(|file| {
                let shown = file.strip_prefix(root).unwrap().display().to_string();
                let parsed = std::fs::read_to_string(&file).map_err(|e| e.to_string()).and_then(|text| {
                    parse(&module_of(&file), &text).map_err(|e| format!("line {}: {e}", e.span().start().line))
                });
                // The binary is a crate of its own: its root is not the library's.
                let reaches = parsed.map(|(reaches, scopes)| {
                    if file != binary {
                        crate_scopes.0.extend(scopes.0);
                    }
                    reaches
                });
                (file, shown, reaches)
            })
            .collect();
        for (file, _, reaches) in &mut parsed {
            if let (true, Ok(reaches)) = (*file != binary, reaches) {
                follow_re_exports(&crate_scopes, reaches);
            }
        }
        parsed
    })
}

/// Every violation of `layer` in the files `applies` selects, and every such file that does not parse.
fn violations(layer: &Layer, applies: impl Fn(&Path) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (file, shown, parsed) in source_reaches() {
        if !applies(file) {
            continue;
        }
        match parsed {
            Ok(reaches) => found.extend(layer_violations(shown, layer, reaches)),
            Err(error) => found.push(format!("{shown}: does not parse, so its paths cannot be checked: {error}")),
        }
    }
    found
}

#[test]
fn each_layer_reaches_only_what_it_may() {
    let mut found = Vec::new();
    for layer in LAYERS {
        let dir = source_root().join(layer.dir);
        found.extend(violations(layer, |file| file.starts_with(&dir)));
    }
    assert!(found.is_empty(), "{} layering violations:\n{}", found.len(), found.join("\n"));
}

#[test]
fn only_the_store_imports_sled() {
    let store = source_root().join("store");
    let found = violations(&NO_SLED, |file| !file.starts_with(&store));
    assert!(found.is_empty(), "only store/ may use sled; go through it:\n{}", found.join("\n"));
}

#[test]
fn the_layering_check_itself_finds_nested_uses_and_qualified_paths() {
    let source = r#"//! A module of the HTTP adapter.
use crate::{store::{self as storage, Ledger, Head as ChainHead}, domain};
use super::sibling::*;
mod inner {
    use super::super::super::service::records;
}
fn handle(ledger: &Ledger) -> ChainHead {
    let _ = crate::store::export::export(ledger);
    let _: crate::domain::Role = domain::rules::decide();
    let _ = format!("{}", crate::cli::reads::title());
    storage::open()
}
"#;
    let module = ["http".to_owned(), "queries".to_owned()];
    let found = reaches(&module, source).unwrap();
    let lines_of =
        |path: &str| found.iter().filter(|r| r.resolved.join("::") == path).map(|r| r.line).collect::<Vec<_>>();
    assert_eq!(lines_of("crate::store"), vec![2], "`self as storage` in a nested group");
    assert_eq!(lines_of("crate::store::Ledger"), vec![2, 7], "a nested use leaf, and its use in a signature");
    assert_eq!(lines_of("crate::store::Head"), vec![2, 7], "a renamed leaf, and its use by the new name");
    assert_eq!(lines_of("crate::http::sibling::*"), vec![3], "`super` from the file's module");
    assert_eq!(lines_of("crate::service::records"), vec![5], "`super` from an inline module");
    assert_eq!(lines_of("crate::store::export::export"), vec![8], "a qualified path in code");
    assert_eq!(lines_of("crate::domain::Role"), vec![9], "a qualified path in a type");
    assert_eq!(lines_of("crate::domain::rules::decide"), vec![9], "a path through an imported module");
    assert_eq!(lines_of("crate::cli::reads::title"), vec![10], "a path inside a macro's arguments");
    assert_eq!(lines_of("crate::store::open"), vec![11], "a path through a renamed import");

    let http = LAYERS.iter().find(|layer| layer.dir == "http").unwrap();
    let shown = "src/http/queries.rs";
    let messages = layer_violations(shown, http, &found);
    let expected = [
        format!("{shown}:2: `crate::store`: http/ must not reach `crate::store`"),
        format!("{shown}:2: `crate::store::Ledger`: http/ must not reach `crate::store`"),
        format!("{shown}:2: `crate::store::Head`: http/ must not reach `crate::store`"),
        format!("{shown}:8: `crate::store::export::export`: http/ must not reach `crate::store`"),
        format!(
            "{shown}:9: `crate::domain::rules::decide` (written `domain::rules::decide`): http/ must not reach `crate::domain::rules`"
        ),
        format!("{shown}:10: `crate::cli::reads::title`: http/ must not reach `crate::cli`"),
    ];
    // The uses of `Ledger`, `ChainHead` and `storage` are reported once, at their `use`; the
    // domain's vocabulary (`crate::domain::Role`) is allowed.
    assert_eq!(messages, expected);
}

#[test]
fn the_layering_check_itself_follows_a_layers_re_exports_within_it() {
    let module = |path: &str| path.split("::").map(str::to_owned).collect::<Vec<_>>();
    let files = [
        ("domain", "//! The domain.\npub mod rules;\npub use rules::{allowed_roles, Role};\n"),
        ("domain::rules", "//! Its rules.\nmod access;\npub use access::allowed_roles;\npub enum Role {}\n"),
        ("service", "//! The service.\npub use crate::store::Head;\npub use crate::domain::allowed_roles as may;\n"),
    ];
    let mut crate_scopes = Scopes(BTreeMap::new());
    for (path, source) in files {
        crate_scopes.0.extend(parse(&module(path), source).unwrap().1 .0);
    }
    let source = "//! A page.\nfn page() { crate::domain::allowed_roles(); crate::service::Head::new(); crate::service::may(); }\n";
    let mut found = reaches(&module("site::page"), source).unwrap();
    follow_re_exports(&crate_scopes, &mut found);
    let resolved: Vec<String> =
        found.iter().map(|reach| reach.resolved.join("::")).filter(|path| path.starts_with("crate::")).collect();
    assert_eq!(
        resolved,
        [
            "crate::domain::rules::access::allowed_roles",
            "crate::service::Head::new",
            // The service's re-export is its door, not followed into the domain.
            "crate::service::may",
        ]
    );
    let site = LAYERS.iter().find(|layer| layer.dir == "site").unwrap();
    let messages = layer_violations("src/site/page.rs", site, &found);
    assert_eq!(
        messages,
        ["src/site/page.rs:2: `crate::domain::rules::access::allowed_roles` (written `crate::domain::allowed_roles`): site/ must not reach `crate::domain::rules`"]
    );
}

#[test]
fn every_limit_is_in_limits_rs() {
    // Bounds that are facts of a format, not settings: each follows from something else.
    let facts = [
        // The Merkle nodes below this level are not stored: changing it changes the on-disk format.
        "STORED_LEVEL_MIN",
        // `TEXT_CHARS_MAX` (in limits.rs) of 4-byte characters and the cipher's tag.
        "CIPHERTEXT_BYTES_MAX",
    ];
    let limits = source_root().join("limits.rs");
    let mut elsewhere = Vec::new();
    for file in rust_files(&source_root()).into_iter().filter(|file| *file != limits) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (index, line) in text.lines().enumerate() {
            let Some(name) = line.split("const ").nth(1).and_then(|rest| rest.split(':').next()) else { continue };
            if (name.ends_with("_MAX") || name.ends_with("_MIN")) && !facts.contains(&name) {
                elsewhere.push(format!("{}:{}: {name}", file.display(), index + 1));
            }
        }
    }
    assert!(elsewhere.is_empty(), "limits belong in src/limits.rs, each with its reason:\n{}", elsewhere.join("\n"));
}

#[test]
fn the_codemap_names_every_source_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    // Every word inside a `code span` of the document.
    let named: BTreeSet<&str> = architecture
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|span| span.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .collect();
    let unnamed: Vec<String> = rust_files(&source_root())
        .iter()
        .filter_map(|file| {
            let stem = file.file_stem()?.to_str()?;
            let module = if stem == "mod" { file.parent()?.file_name()?.to_str()? } else { stem };
            let shown = file.strip_prefix(root).unwrap().display().to_string();
            (!["lib", "main"].contains(&module) && !named.contains(module)).then_some(shown)
        })
        .collect();
    assert!(unnamed.is_empty(), "ARCHITECTURE.md's codemap does not name:\n{}", unnamed.join("\n"));
}

#[test]
fn every_source_file_says_what_it_holds() {
    for file in rust_files(&source_root()) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//!"), "{} must open with a //! comment", file.display());
    }
}

#[test]
fn the_standalone_verifier_shares_no_code_with_the_ledger() {
    let verifier = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/verifier");
    for file in rust_files(&verifier.join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("kpi_ledger"), "{} must not use kpi-ledger's code", file.display());
    }
    let manifest = std::fs::read_to_string(verifier.join("Cargo.toml")).unwrap();
    // Only its tests may use the ledger (to make real exports and bundles for it to check).
    let dependencies = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    assert!(!dependencies.contains("path ="), "tools/verifier must not depend on local crates");
    assert!(!dependencies.contains("kpi-ledger"), "tools/verifier must not depend on kpi-ledger");
}

/// The files a fresh clone must be able to use on their own (issue 9): sources, tests, tools, docs
/// and the README.
fn self_contained_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md"), root.join(".ci/run")];
    for dir in ["src", "tests", "tools", "docs"] {
        files.extend(all_files(&root.join(dir)));
    }
    files
}

/// Every file under `dir`, skipping build output.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            files.extend(all_files(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The relative paths in `text` that climb with `..`: each token from its first character up to a
/// space, quote or bracket.
fn climbing_paths(text: &str) -> Vec<&str> {
    let stops = |c: char| c.is_whitespace() || "\"'`()[]{}<>,;=".contains(c);
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("../") {
        let at = from + found;
        let start = text[..at].rfind(stops).map_or(0, |i| i + 1);
        let end = text[at..].find(stops).map_or(text.len(), |i| at + i);
        paths.push(&text[start..end]);
        from = end.max(at + 3);
    }
    paths
}

/// Whether `path`, taken relative to `base` (a directory inside `root`), leaves `root`.
fn escapes(root: &Path, base: &Path, path: &str) -> bool {
    let mut depth = base.strip_prefix(root).map(|relative| relative.components().count()).unwrap_or(0) as i64;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[test]
fn nothing_reaches_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let outside = root.parent().map(|parent| format!("{}/", parent.display()));
    for file in self_contained_files() {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        let shared = concat!("..", "/shared");
        assert!(!text.contains(shared), "{shown} names {shared}, which a fresh clone does not have");
        if let Some(outside) = &outside {
            assert!(!text.contains(outside.as_str()), "{shown} names a path outside the repository ({outside})");
        }
        let dir = file.parent().unwrap();
        for path in climbing_paths(&text) {
            // A path glued to a base (`concat!` of the manifest directory and "/..") climbs from the root.
            let base = if path.starts_with('/') { root } else { dir };
            assert!(!escapes(root, base, path), "{shown}: {path:?} reaches above the repository root");
        }
    }
}

#[test]
fn the_escape_check_itself_catches_what_it_should() {
    // Built at run time so that this file does not itself contain the paths it looks for.
    let up = "..";
    let root = Path::new("/repo");
    let glued = format!("/{up}/elsewhere/v.json");
    let source = format!("read(concat!(x, \"{glued}\"))");
    assert_eq!(climbing_paths(&source), vec![glued.as_str()]);
    assert!(escapes(root, root, &glued));
    assert!(escapes(root, &root.join("tests"), &format!("{up}/{up}/elsewhere")));
    assert!(!escapes(root, &root.join("src/http"), &format!("{up}/{up}/schemas/definitions.json")));
    assert!(!escapes(root, &root.join("tools"), &format!("{up}/README.md")));
}

#[test]
fn the_adapters_read_the_ledger_through_records_only() {
    // `Service::ledger` hands out the store itself, for tests and tools; the adapters read through
    // `Service::records`, which cannot write.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["http", "site", "cli"] {
        for file in rust_files(&source_root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            let shown = file.strip_prefix(root).unwrap().display().to_string();
            assert!(!text.contains(".ledger()"), "{shown}: reads the store past the service; use records()");
        }
    }
}
