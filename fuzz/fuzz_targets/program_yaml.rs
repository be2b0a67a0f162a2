//! Structure-aware: an example program, read as a YAML tree, changed by arbitrary edits
//! (a node replaced, removed or repeated; keys and values drawn from the examples' own
//! words or made up), written back as block YAML and loaded and validated as `ecoute
//! check` does. Most of the file stays valid, so the validator's deep checks are reached.
#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use ecoute::program::{CheckContext, load_bytes};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};

/// A value to put somewhere in the tree.
#[derive(Arbitrary, Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Small(u8),
    Float(f64),
    /// A word used in the examples (a key, an id, a locale…).
    Word(u16),
    Text(String),
    List(Vec<Node>),
    Map(Vec<(Key, Node)>),
    /// A copy of another node of the examples.
    Copy(Vec<u8>),
}

/// A mapping key.
#[derive(Arbitrary, Debug)]
enum Key {
    Word(u16),
    Text(String),
}

/// One change to the tree, at a path of child choices.
#[derive(Arbitrary, Debug)]
enum Edit {
    Set(Vec<u8>, Node),
    Remove(Vec<u8>),
    Repeat(Vec<u8>),
    Insert(Vec<u8>, Key, Node),
}

#[derive(Arbitrary, Debug)]
struct Input {
    program: u8,
    edits: Vec<Edit>,
}

/// The examples as trees, and every key and string scalar in them.
struct Examples {
    trees: Vec<Value>,
    words: Vec<String>,
}

fn examples() -> &'static Examples {
    static EXAMPLES: OnceLock<Examples> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let trees: Vec<Value> = ecoute_fuzz::PROGRAMS
            .iter()
            .filter_map(|name| std::fs::read_to_string(ecoute_fuzz::program_path(name)).ok())
            .filter_map(|text| serde_saphyr::from_str(&text).ok())
            .collect();
        assert!(!trees.is_empty(), "the example programs must read as YAML");
        let mut words = BTreeSet::new();
        for tree in &trees {
            collect_words(tree, &mut words);
        }
        Examples {
            trees,
            words: words.into_iter().collect(),
        }
    })
}

fn collect_words(value: &Value, words: &mut BTreeSet<String>) {
    match value {
        Value::String(text) => {
            words.insert(text.clone());
        }
        Value::Array(items) => items.iter().for_each(|item| collect_words(item, words)),
        Value::Object(map) => {
            for (key, item) in map {
                words.insert(key.clone());
                collect_words(item, words);
            }
        }
        _ => {}
    }
}

fn word(index: u16) -> String {
    let words = &examples().words;
    words[usize::from(index) % words.len()].clone()
}

fn key(key: Key) -> String {
    match key {
        Key::Word(index) => word(index),
        Key::Text(text) => text,
    }
}

fn node(tree: Node, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    match tree {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::Number(i.into()),
        Node::Small(i) => Value::Number(i.into()),
        Node::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Node::Word(index) => Value::String(word(index)),
        Node::Text(text) => Value::String(text),
        Node::List(items) => Value::Array(items.into_iter().map(|n| node(n, depth + 1)).collect()),
        Node::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, n)| (key(k), node(n, depth + 1)))
                .collect::<Map<_, _>>(),
        ),
        Node::Copy(path) => {
            let trees = &examples().trees;
            let tree = &trees[path.first().map_or(0, |&b| usize::from(b)) % trees.len()];
            walk(tree, &path).clone()
        }
    }
}

/// The node reached by following `path` (each step picks a child modulo their count).
fn walk<'a>(mut value: &'a Value, path: &[u8]) -> &'a Value {
    for &step in path {
        value = match value {
            Value::Array(items) if !items.is_empty() => &items[usize::from(step) % items.len()],
            Value::Object(map) if !map.is_empty() => map
                .values()
                .nth(usize::from(step) % map.len())
                .unwrap_or(value),
            _ => return value,
        };
    }
    value
}

/// The parent container at `path` and the index of the child chosen by its last step.
fn parent_mut<'a>(value: &'a mut Value, path: &[u8]) -> Option<(&'a mut Value, usize)> {
    let (&last, steps) = path.split_last()?;
    let mut value = value;
    for &step in steps {
        let step = usize::from(step);
        let container = match &*value {
            Value::Array(items) => !items.is_empty(),
            Value::Object(map) => !map.is_empty(),
            _ => false,
        };
        if !container {
            return Some((value, usize::from(last)));
        }
        value = match value {
            Value::Array(items) => {
                let len = items.len();
                &mut items[step % len]
            }
            Value::Object(map) => {
                let len = map.len();
                map.values_mut().nth(step % len)?
            }
            _ => return None,
        };
    }
    Some((value, usize::from(last)))
}

fn apply(tree: &mut Value, edit: Edit) {
    match edit {
        Edit::Set(path, new) => {
            let new = node(new, 0);
            if let Some((parent, index)) = parent_mut(tree, &path) {
                match parent {
                    Value::Array(items) if !items.is_empty() => {
                        let len = items.len();
                        items[index % len] = new;
                    }
                    Value::Object(map) if !map.is_empty() => {
                        let len = map.len();
                        if let Some(slot) = map.values_mut().nth(index % len) {
                            *slot = new;
                        }
                    }
                    other => *other = new,
                }
            }
        }
        Edit::Remove(path) => {
            if let Some((parent, index)) = parent_mut(tree, &path) {
                match parent {
                    Value::Array(items) if !items.is_empty() => {
                        let len = items.len();
                        items.remove(index % len);
                    }
                    Value::Object(map) if !map.is_empty() => {
                        let len = map.len();
                        if let Some(name) = map.keys().nth(index % len).cloned() {
                            map.remove(&name);
                        }
                    }
                    _ => {}
                }
            }
        }
        Edit::Repeat(path) => {
            if let Some((Value::Array(items), index)) = parent_mut(tree, &path)
                && !items.is_empty()
                && items.len() < 64
            {
                let len = items.len();
                let copy = items[index % len].clone();
                items.push(copy);
            }
        }
        Edit::Insert(path, name, new) => {
            let new = node(new, 0);
            let target = if path.is_empty() {
                Some(tree)
            } else {
                parent_mut(tree, &path).map(|(parent, _)| parent)
            };
            if let Some(Value::Object(map)) = target {
                map.insert(key(name), new);
            }
        }
    }
}

fuzz_target!(|input: Input| {
    static CONTEXT: OnceLock<CheckContext> = OnceLock::new();
    let context = CONTEXT.get_or_init(CheckContext::default);
    let examples = examples();
    let mut tree = examples.trees[usize::from(input.program) % examples.trees.len()].clone();
    for edit in input.edits.into_iter().take(32) {
        apply(&mut tree, edit);
    }
    let Ok(yaml) = serde_saphyr::to_string(&tree) else {
        return;
    };
    let path = ecoute_fuzz::program_path("fuzzed.yaml");
    if let Err(problems) = load_bytes(&path, yaml.into_bytes(), context) {
        for problem in &problems {
            let _ = problem.render(false);
        }
    }
});
