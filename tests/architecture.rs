//! The shape of the source tree: the top-level modules of `src/` depend on each other without a
//! circle, so each can be read, tested and changed from the bottom up (docs/ARCHITECTURE.md
//! draws the picture this test keeps true).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[path = "common/files.rs"]
mod files;

use files::files_with_extension;

/// The top-level module a file belongs to: `src/printer/serial.rs` is in `printer`.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!["lib", "main"].contains(&name)).then(|| name.to_string())
}

/// The top-level modules a file names through `crate::`.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            // `use crate::{a, b::c}`: every name at the top of the braces.
            if let Some(inner) = after.strip_prefix('{') {
                let mut depth = 0;
                let mut item_start = true;
                for (at, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        c if item_start && (c.is_ascii_alphanumeric() || c == '_') => {
                            item_start = false;
                            let head: String = inner[at..]
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect();
                            if head != "self" {
                                found.insert(head);
                            }
                        }
                        _ => {}
                    }
                }
            }
        } else {
            found.insert(name);
        }
        rest = after;
    }
    found
}

/// One circle in `graph`, as the modules along it, if there is any.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_two_modules_depend_on_each_other_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files_with_extension(&src, &["rs"]) {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("source is UTF-8");
        let mut references = crate_references(&text);
        references.remove(&module);
        graph.entry(module).or_default().extend(references);
    }
    assert!(
        graph.len() >= 10,
        "the scan found too few modules: {graph:?}"
    );
    assert!(
        graph["monime"].iter().all(|name| name != "config"),
        "monime/ knows nothing about the terminal's configuration: {:?}",
        graph["monime"]
    );
    assert!(
        graph["printer"].iter().all(|name| name != "config"),
        "printer/ owns its settings: {:?}",
        graph["printer"]
    );
    if let Some(circle) = find_circle(&graph) {
        panic!(
            "modules depend on each other in a circle: {}",
            circle.join(" → ")
        );
    }
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(
        find_circle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_references(
            "use crate::{money::Money, sale::{Phase, Sale}};\nx = crate::qr::encode(1);"
        ),
        BTreeSet::from(["money".into(), "qr".into(), "sale".into()])
    );
}
