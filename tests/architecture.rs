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
        let mut references: BTreeSet<String> = module_references(&text, &module_path(&src, &file))
            .into_iter()
            .filter_map(|path| path.first().cloned())
            .collect();
        references.remove(&module);
        graph.entry(module).or_default().extend(references);
    }
    assert!(
        graph.len() >= 10,
        "the scan found too few modules: {graph:?}"
    );
    assert!(
        graph["ui"].iter().all(|name| name != "cli"),
        "the screen never reaches into the command line: {:?}",
        graph["ui"]
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

/// A file's module path: `src/ui/flow/news.rs` is `ui::flow::news`, `src/config/mod.rs` is
/// `config`, `benches/kiosk/fleet.rs` (under the root `benches/kiosk`) is `fleet`.
fn module_path(root: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(root).unwrap_or(file).with_extension("");
    let mut path: Vec<String> = relative
        .components()
        .filter_map(|part| part.as_os_str().to_str().map(str::to_string))
        .collect();
    if path
        .last()
        .is_some_and(|last| ["mod", "lib", "main"].contains(&last.as_str()))
    {
        path.pop();
    }
    path
}

/// The modules a file names by path (`crate::a::b`, `super::b`, `super::super::c`, and every
/// name at the top of a `{...}` group after one), resolved from `module`, each as far as
/// its first two names.
fn module_references(text: &str, module: &[String]) -> BTreeSet<Vec<String>> {
    let ident = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    for start in 0..text.len() {
        let word_start = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':');
        if !word_start || !text.is_char_boundary(start) {
            continue;
        }
        let rest = &text[start..];
        let (mut base, mut after) = if let Some(after) = rest.strip_prefix("crate::") {
            (Vec::new(), after)
        } else if rest.starts_with("super::") {
            (module.to_vec(), rest)
        } else {
            continue;
        };
        while let Some(next) = after.strip_prefix("super::") {
            base.pop();
            after = next;
        }
        let mut names = Vec::new();
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
                        let tail = &inner[at..];
                        let first = ident(tail);
                        let second = tail[first.len()..]
                            .strip_prefix("::")
                            .map(ident)
                            .unwrap_or_default();
                        names.push((first, second));
                    }
                    _ => {}
                }
            }
        } else {
            let first = ident(after);
            let second = after[first.len()..]
                .strip_prefix("::")
                .map(ident)
                .unwrap_or_default();
            names.push((first, second));
        }
        for (first, second) in names {
            if first.is_empty() || first == "self" {
                continue;
            }
            let mut path = base.clone();
            path.push(first);
            if !second.is_empty() {
                path.push(second);
            }
            found.insert(path);
        }
    }
    found
}

/// For every folder of modules under `root`, the graph of its members (the files and
/// subfolders beside each other, the folder's own root file left out): a member depends on
/// another when any of its files names that one.
fn folder_graphs(root: &Path) -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let files: Vec<(Vec<String>, String)> = files_with_extension(root, &["rs"])
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("source is UTF-8");
            // A test module's `super` is its own file, not the folder: left out here.
            let text = match text.split_once("#[cfg(test)]\nmod tests") {
                Some((code, _)) => code.to_string(),
                None => text,
            };
            (module_path(root, &file), text)
        })
        .collect();
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, text) in &files {
        let references = module_references(text, module);
        // The file is a member of each folder above it, as the name it has there.
        for depth in 0..module.len() {
            let (folder, member) = (&module[..depth], &module[depth]);
            let graph = graphs.entry(folder.to_vec()).or_default();
            let edges = graph.entry(member.clone()).or_default();
            for reference in &references {
                if reference.len() > depth
                    && reference[..depth] == *folder
                    && reference[depth] != *member
                {
                    edges.insert(reference[depth].clone());
                }
            }
        }
    }
    // A folder's members are the modules it declares; a name that is not one (an item of the
    // folder's root file, such as `super::Config`) is not a member.
    for graph in graphs.values_mut() {
        let members: BTreeSet<String> = graph.keys().cloned().collect();
        for edges in graph.values_mut() {
            edges.retain(|name| members.contains(name));
        }
    }
    graphs
}

#[test]
fn no_two_files_of_a_folder_depend_on_each_other_in_a_circle() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut circles = Vec::new();
    for root in ["src", "benches/kiosk"] {
        let graphs = folder_graphs(&manifest.join(root));
        assert!(
            graphs.len() >= 5 || root != "src",
            "the scan found too few folders: {graphs:?}"
        );
        for (folder, graph) in &graphs {
            if let Some(circle) = find_circle(graph) {
                let place = [root.to_string(), folder.join("/")].join("/");
                circles.push(format!("in {place}: {}", circle.join(" → ")));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files depend on each other in a circle:\n{}",
        circles.join("\n")
    );
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
    let module = ["ui".to_string(), "flow".to_string(), "news".to_string()];
    let resolved = module_references(
        "use super::{Flow, view::View};\nuse super::super::words::{self, Note};\nlet x = crate::sale::Phase::Paid;",
        &module,
    );
    let path = |names: &[&str]| {
        names
            .iter()
            .map(|name| name.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        resolved,
        BTreeSet::from([
            path(&["ui", "flow", "Flow"]),
            path(&["ui", "flow", "view", "View"]),
            path(&["ui", "words"]),
            path(&["sale", "Phase"]),
        ])
    );
}
